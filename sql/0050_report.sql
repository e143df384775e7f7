-- The stakeholder-views report (issue 9).

-- Which area each provider code of an imported survey belongs to (the survey's Trust codes are not our provider
-- codes). An area's survey rows are those whose code maps to it or to one of its predecessors in area_lineage.
CREATE TABLE service_user_provider_area (
    codebook_id text NOT NULL CHECK (length(codebook_id) BETWEEN 1 AND 100),
    provider_code text NOT NULL CHECK (length(provider_code) BETWEEN 1 AND 100),
    area_id bigint NOT NULL REFERENCES area (id),
    PRIMARY KEY (codebook_id, provider_code)
);

CREATE INDEX service_user_provider_area_area_idx ON service_user_provider_area (area_id);

-- Answer counts per batch, provider code, question variable and code, written once per batch the first time a
-- report needs it (a batch's rows never change), so a report reads thousands of counts, not millions of rows.
-- code: the element of service_user_response.codes (negative for a missing-value code, NULL when empty).
CREATE TABLE service_user_summary (
    batch_id bigint NOT NULL REFERENCES service_user_import_batch (id),
    provider_code text NOT NULL,
    variable text NOT NULL,
    code integer,
    n bigint NOT NULL CHECK (n > 0)
);

CREATE INDEX service_user_summary_batch_idx ON service_user_summary (batch_id);

-- The batches summarised, with the question variables included; a row here and the batch's summary rows are
-- written in one transaction.
CREATE TABLE service_user_summary_batch (
    batch_id bigint PRIMARY KEY REFERENCES service_user_import_batch (id),
    variables text[] NOT NULL,
    summarised_at timestamptz NOT NULL DEFAULT now()
);
