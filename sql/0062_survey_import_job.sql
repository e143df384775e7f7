-- Survey upload jobs (issue 11): the upload page's job state lives here rather than in one process's memory, so
-- the progress page works through any instance behind a load balancer. The instance that received the file runs
-- the job (the file is on its disk): it claims the job's work, writes its progress, and beats `heartbeat_at` about
-- once a second while the job is live. Any instance reads the row. A live job whose heartbeat is older than 30
-- seconds belonged to an instance that stopped; the page shows it as interrupted (an import is one transaction,
-- so nothing of it was stored). The newest 50 jobs are kept.
CREATE TABLE survey_import_job (
    id uuid PRIMARY KEY,
    file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    survey_year integer NOT NULL CHECK (survey_year BETWEEN 1990 AND 2100),
    actor_user_id bigint REFERENCES staff_user (id) ON DELETE SET NULL,
    actor_name text NOT NULL,
    -- The process that holds the file and runs the job (random per process start).
    instance_id text NOT NULL CHECK (length(instance_id) BETWEEN 1 AND 100),
    phase text NOT NULL DEFAULT 'queued'
        CHECK (phase IN ('queued', 'checking', 'checked', 'import_queued', 'importing', 'imported', 'failed')),
    accept_valid_rows boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Progress of the running check or import.
    progress_rows bigint CHECK (progress_rows >= 0),
    progress_bytes bigint CHECK (progress_bytes >= 0),
    progress_total_bytes bigint CHECK (progress_total_bytes >= 0),
    progress_elapsed_ms bigint CHECK (progress_elapsed_ms >= 0),
    -- The check's, then the import's, counts, first problems, notes and batch numbers.
    outcome jsonb,
    -- Why the check or import stopped.
    failure text
);

CREATE INDEX survey_import_job_created_idx ON survey_import_job (created_at);
CREATE INDEX survey_import_job_live_idx ON survey_import_job (instance_id)
    WHERE phase IN ('queued', 'checking', 'checked', 'import_queued', 'importing');

-- The full list of problems found in a job's file (the CSV offered for download), in parts of up to 1 MiB.
CREATE TABLE survey_import_job_problems (
    job_id uuid NOT NULL REFERENCES survey_import_job (id) ON DELETE CASCADE,
    part integer NOT NULL CHECK (part >= 0),
    content bytea NOT NULL,
    PRIMARY KEY (job_id, part)
);
