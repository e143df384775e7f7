-- Inspections, the providers they cover, and the questionnaire links VLOs issue (DOMAIN.md §2, §7).

CREATE TABLE inspection (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    area_id bigint NOT NULL REFERENCES area (id),
    announced_on date NOT NULL,
    fieldwork_starts_on date NOT NULL,
    week_plus_two_on date NOT NULL,
    victim_window_opens_on date NOT NULL,
    victim_window_closes_on date NOT NULL,
    published_on date,
    closed_on date,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (announced_on < fieldwork_starts_on),
    CHECK (week_plus_two_on > fieldwork_starts_on),
    CHECK (victim_window_opens_on < victim_window_closes_on),
    CHECK (victim_window_opens_on >= announced_on),
    CHECK (published_on IS NULL OR published_on >= week_plus_two_on),
    CHECK (closed_on IS NULL OR (published_on IS NOT NULL AND closed_on >= published_on))
);

CREATE TABLE inspection_provider (
    inspection_id bigint NOT NULL REFERENCES inspection (id) ON DELETE CASCADE,
    provider_id bigint NOT NULL REFERENCES provider (id),
    PRIMARY KEY (inspection_id, provider_id)
);

-- A questionnaire link. No victim identity: the reference is the VLO's own note (the page says not to use names).
-- The token and access code are never stored: only keyed hashes, so a lost link is revoked and reissued.
CREATE TABLE invitation (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inspection_id bigint NOT NULL,
    provider_id bigint NOT NULL,
    issued_by bigint,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    code_hash bytea NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    reference text CHECK (reference IS NULL OR length(reference) <= 40),
    language text NOT NULL CHECK (language IN ('en', 'cy', 'both')),
    status text NOT NULL DEFAULT 'issued'
        CHECK (status IN ('issued', 'opened', 'in_progress', 'submitted', 'withdrawn', 'expired', 'revoked')),
    issued_at timestamptz NOT NULL,
    opened_at timestamptz,
    started_at timestamptz,
    submitted_at timestamptz,
    withdrawn_at timestamptz,
    expired_at timestamptz,
    revoked_at timestamptz,
    FOREIGN KEY (inspection_id, provider_id) REFERENCES inspection_provider (inspection_id, provider_id)
);

CREATE INDEX invitation_inspection_provider_idx ON invitation (inspection_id, provider_id, status);

-- Answers in progress, kept so a victim can resume on any device. Deleted in the transaction that submits.
CREATE TABLE invitation_draft (
    invitation_id bigint PRIMARY KEY REFERENCES invitation (id) ON DELETE CASCADE,
    form_id text NOT NULL,
    form_version integer NOT NULL,
    answers jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL
);

-- A victim's browser session: only a hash of the cookie's random id. It names the invitation being answered and
-- holds the access code sealed (AES-GCM) under a key derived from the cookie's id, which the database never sees:
-- the code is needed to make the response's withdrawal key at submission.
CREATE TABLE victim_session (
    id_hash bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    invitation_id bigint NOT NULL REFERENCES invitation (id) ON DELETE CASCADE,
    code_sealed bytea NOT NULL,
    csrf_token text NOT NULL,
    language text NOT NULL CHECK (language IN ('en', 'cy')),
    expires_at timestamptz NOT NULL
);

CREATE INDEX victim_session_expires_idx ON victim_session (expires_at);

-- Submitted answers. Unlinkable by construction: no column names the invitation, its token, code or VLO, and no
-- time is kept (a submission time could be matched to invitation.submitted_at). withdrawal_key is an HMAC of the
-- access code under the service's link secret: only someone holding the code (and the service) can find the row.
CREATE TABLE victim_response (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    inspection_id bigint NOT NULL REFERENCES inspection (id),
    provider_id bigint NOT NULL REFERENCES provider (id),
    form_id text NOT NULL,
    form_version integer NOT NULL,
    language text NOT NULL CHECK (language IN ('en', 'cy')),
    channel text NOT NULL CHECK (channel IN ('online', 'paper')),
    answers jsonb NOT NULL,
    withdrawal_key bytea UNIQUE CHECK (withdrawal_key IS NULL OR length(withdrawal_key) = 32),
    CHECK ((channel = 'online') = (withdrawal_key IS NOT NULL))
);

CREATE INDEX victim_response_inspection_idx ON victim_response (inspection_id, provider_id);

-- Attempts per client address, for rate limits on guessing links and access codes.
CREATE TABLE rate_limit_hit (
    bucket text NOT NULL,
    client text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, client, window_start)
);
