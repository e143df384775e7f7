-- The form versions that answers have been stored against, with the definition's fingerprint at that moment.
-- A definition whose fingerprint no longer matches a row here was edited after answers existed: the server and
-- `stakeholder-views forms check --database` refuse it until the version is bumped (forms/README.md).
CREATE TABLE form_version (
    form_id text NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    fingerprint text NOT NULL,
    first_used_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (form_id, version)
);
