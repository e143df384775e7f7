-- Issue 21 items 2, 3 and 6: single-use codes for the online survey of people on probation.
--
-- A provider survey coordinator issues a batch of codes for an inspection and sends them through the provider's own
-- text-message system. Each code is an invitation like a victim's link, answering another form: the victim journey,
-- its ballot box and its release are the same engine, keyed by the form. The service never receives a phone number,
-- a name or a case reference: no column here can hold one (a batch has a size, a language and who issued it; a code
-- has no reference, and the coordinator's page never offers one).

CREATE TABLE survey_code_batch (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inspection_id bigint NOT NULL,
    provider_id bigint NOT NULL,
    issued_by bigint,
    size integer NOT NULL CHECK (size BETWEEN 1 AND 100000),
    language text NOT NULL CHECK (language IN ('en', 'cy', 'both')),
    issued_at timestamptz NOT NULL,
    FOREIGN KEY (inspection_id, provider_id) REFERENCES inspection_provider (inspection_id, provider_id)
);
CREATE INDEX survey_code_batch_provider_idx ON survey_code_batch (provider_id, inspection_id);

-- Which questionnaire an invitation opens. A victim's link has no batch; a code for people on probation has one and
-- no reference (the VLO's note has no counterpart: nothing about the person is written anywhere).
ALTER TABLE invitation ADD COLUMN form_id text NOT NULL DEFAULT 'victim-questionnaire'
    CHECK (form_id IN ('victim-questionnaire', 'service-user-questionnaire'));
ALTER TABLE invitation ADD COLUMN batch_id bigint REFERENCES survey_code_batch (id) ON DELETE CASCADE;
ALTER TABLE invitation ADD CONSTRAINT invitation_batch_fits_form CHECK (
    (form_id = 'victim-questionnaire' AND batch_id IS NULL)
    OR (form_id = 'service-user-questionnaire' AND batch_id IS NOT NULL AND reference IS NULL)
);
CREATE INDEX invitation_batch_idx ON invitation (batch_id, status) WHERE batch_id IS NOT NULL;

-- The ballot box releases each form's copies on their own: ten victims' answers never make a batch with one person
-- on probation's, which would then come out alone. The form is not secret (the spent invitation says it too).
ALTER TABLE sealed_response ADD COLUMN form_id text NOT NULL DEFAULT 'victim-questionnaire'
    CHECK (form_id IN ('victim-questionnaire', 'service-user-questionnaire'));
DROP INDEX sealed_response_group_idx;
CREATE INDEX sealed_response_group_idx ON sealed_response (inspection_id, provider_id, form_id);
