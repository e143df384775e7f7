-- The imported annual service-user survey (DOMAIN.md §5; issue 8). Each import is a batch; a batch's rows live in
-- a partition of service_user_response of their own, loaded by COPY into a staging table that is attached as the
-- batch's partition in the same transaction that records the batch (so a batch appears whole or not at all).
-- A corrected file for a year replaces the year's current batch in that transaction; the replaced batch and its
-- rows stay, marked 'replaced'.

CREATE TABLE service_user_import_batch (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    codebook_id text NOT NULL CHECK (length(codebook_id) BETWEEN 1 AND 100),
    codebook_version integer NOT NULL CHECK (codebook_version > 0),
    survey_year integer NOT NULL CHECK (survey_year BETWEEN 1990 AND 2100),
    file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    file_bytes bigint NOT NULL CHECK (file_bytes > 0),
    file_encoding text NOT NULL CHECK (file_encoding IN ('utf-8', 'windows-1252')),
    -- The codebook variables held in service_user_response.codes, in element order.
    variables text[] NOT NULL,
    rows_read integer NOT NULL CHECK (rows_read >= 0),
    rows_imported integer NOT NULL CHECK (rows_imported >= 0),
    rows_rejected integer NOT NULL CHECK (rows_rejected >= 0),
    accepted_valid_rows boolean NOT NULL,
    status text NOT NULL CHECK (status IN ('loading', 'current', 'replaced')),
    replaced_by bigint REFERENCES service_user_import_batch (id),
    replaced_at timestamptz,
    -- Who imported it: the staff account once accounts exist (no foreign key yet), and a readable actor
    -- ("cli:USER", "web").
    actor_user_id bigint,
    actor text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    CHECK (rows_imported + rows_rejected = rows_read),
    CHECK ((status = 'replaced') = (replaced_by IS NOT NULL)),
    CHECK (replaced_by IS NULL OR replaced_by <> id)
);

-- The same file is imported once.
CREATE UNIQUE INDEX service_user_import_batch_sha256_key ON service_user_import_batch (file_sha256);
-- One current batch per codebook and year.
CREATE UNIQUE INDEX service_user_import_batch_current_key ON service_user_import_batch (codebook_id, survey_year)
    WHERE status = 'current';

-- One row per questionnaire. codes holds the batch's `variables` in order: a code, flag or whole number as
-- itself, a missing-value code as its negative (missing code 9 is -9: kept, never counted as an answer), NULL
-- for an empty value. Use service_user_answer() and service_user_missing_code() to read an element.
-- No foreign key to the batch: each partition carries CHECK (batch_id = its batch), written in the same
-- transaction as the batch row, and attaching it then needs no scan.
CREATE TABLE service_user_response (
    batch_id bigint NOT NULL,
    line_number integer NOT NULL CHECK (line_number > 0),
    respondent_id text NOT NULL,
    survey_year smallint NOT NULL,
    provider_code text NOT NULL,
    provider_name text,
    subarea_code text,
    weight double precision NOT NULL CHECK (weight >= 0),
    codes integer[] NOT NULL
) PARTITION BY LIST (batch_id);

-- The rows of the current batch of each year.
CREATE VIEW service_user_response_current AS
SELECT r.*
FROM service_user_response r
JOIN service_user_import_batch b ON b.id = r.batch_id
WHERE b.status = 'current';

-- An element of codes as an answer: NULL when empty or a missing-value code.
CREATE FUNCTION service_user_answer(code integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN code >= 0 THEN code END;

-- An element of codes as a missing-value code: NULL when it is an answer or empty.
CREATE FUNCTION service_user_missing_code(code integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN code < 0 THEN -code END;

-- Rows refused in an import that kept the valid rows (--accept-valid-rows), one line per problem.
CREATE TABLE service_user_import_problem (
    batch_id bigint NOT NULL REFERENCES service_user_import_batch (id),
    line_number integer NOT NULL CHECK (line_number > 0),
    column_name text,
    value text,
    reason text NOT NULL
);

CREATE INDEX service_user_import_problem_batch_idx ON service_user_import_problem (batch_id, line_number);
