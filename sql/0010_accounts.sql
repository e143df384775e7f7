-- Staff accounts (issue 4): organisations, users, server-side sessions, forms kept when a session expires,
-- sign-in throttling and the append-only audit log. Times written by the application come from its clock (so that
-- tests can move time); the defaults are for rows written by hand.

-- An organisation is the inspectorate (exactly one row) or a provider from the reference data.
CREATE TABLE organisation (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('inspectorate', 'provider')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    provider_id bigint UNIQUE REFERENCES provider (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'provider') = (provider_id IS NOT NULL)),
    -- The target of staff_user's (organisation_id, organisation_kind) foreign key.
    UNIQUE (id, kind)
);

CREATE UNIQUE INDEX organisation_single_inspectorate_idx ON organisation ((true)) WHERE kind = 'inspectorate';

INSERT INTO organisation (kind, name) VALUES ('inspectorate', 'HM Inspectorate of Probation');

-- Staff. A VLO belongs to a provider; inspectors and administrators to the inspectorate: the generated kind column
-- and the composite foreign key make the database refuse anything else.
CREATE TABLE staff_user (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    role text NOT NULL CHECK (role IN ('admin', 'inspector', 'vlo')),
    organisation_id bigint NOT NULL,
    organisation_kind text NOT NULL GENERATED ALWAYS AS (CASE WHEN role = 'vlo' THEN 'provider' ELSE 'inspectorate' END) STORED,
    password_hash text NOT NULL CHECK (password_hash LIKE '$2%'),
    must_change_password boolean NOT NULL DEFAULT false,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organisation_id, organisation_kind) REFERENCES organisation (id, kind)
);

CREATE UNIQUE INDEX staff_user_email_key ON staff_user (email);
CREATE INDEX staff_user_organisation_idx ON staff_user (organisation_id);

-- A signed-in browser. The cookie holds a random id; only its SHA-256 is stored, so a copy of this table does not
-- let anyone sign in. Expired rows are kept until the next clean-up so that a form posted just after expiry can be
-- tied to its user (see form_stash).
CREATE TABLE staff_session (
    id_hash bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id bigint NOT NULL REFERENCES staff_user (id) ON DELETE CASCADE,
    csrf_token text NOT NULL CHECK (length(csrf_token) BETWEEN 32 AND 100),
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);

CREATE INDEX staff_session_user_idx ON staff_session (user_id);
CREATE INDEX staff_session_last_seen_idx ON staff_session (last_seen_at);

-- What someone posted after their session had expired: shown back to them, on the page they posted from, once they
-- have signed in again as the same user. Short-lived; deleted when used. Passwords are never stored here.
CREATE TABLE form_stash (
    id_hash bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id bigint NOT NULL REFERENCES staff_user (id) ON DELETE CASCADE,
    path text NOT NULL CHECK (length(path) BETWEEN 1 AND 2000),
    fields jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX form_stash_expires_idx ON form_stash (expires_at);

-- Failed sign-ins, per account (keyed by a SHA-256 of the normalised email, known or not, so that throttling does
-- not reveal which emails exist) and per client address.
CREATE TABLE sign_in_throttle (
    scope text NOT NULL CHECK (scope IN ('account', 'address')),
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 100),
    failures integer NOT NULL CHECK (failures >= 0),
    window_started_at timestamptz NOT NULL,
    locked_until timestamptz,
    PRIMARY KEY (scope, key)
);

-- Who did what, when. Append-only: the triggers below refuse UPDATE, DELETE and TRUNCATE for every role, including
-- the superuser the embedded cluster connects as. Details hold codes and numbers only, never free text.
CREATE TABLE audit_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    event text NOT NULL CHECK (event ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' AND length(event) <= 64),
    actor_user_id bigint REFERENCES staff_user (id),
    client_address text CHECK (length(client_address) <= 100),
    subject_type text CHECK (subject_type ~ '^[a-z][a-z0-9_]{0,39}$'),
    subject_id text CHECK (length(subject_id) <= 100),
    details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    CHECK ((subject_type IS NULL) = (subject_id IS NULL))
);

CREATE INDEX audit_event_occurred_idx ON audit_event (occurred_at);
CREATE INDEX audit_event_actor_idx ON audit_event (actor_user_id);
CREATE INDEX audit_event_event_idx ON audit_event (event);

CREATE FUNCTION audit_event_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END;
$$;

CREATE TRIGGER audit_event_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();

CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
