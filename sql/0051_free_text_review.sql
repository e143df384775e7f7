-- Review of victims' free-text answers before the report shows them (issue 9): an inspector reads each answer,
-- redacts words or phrases, marks it reviewed, and may flag a safeguarding concern, which lists it for the
-- inspection's lead inspector at once. The report shows only redacted_text of reviewed answers.
CREATE TABLE victim_free_text_review (
    response_id uuid NOT NULL REFERENCES victim_response (id) ON DELETE CASCADE,
    question_id text NOT NULL CHECK (question_id ~ '^[a-z0-9_]{1,100}$'),
    redacted_text text NOT NULL,
    redactions integer NOT NULL CHECK (redactions >= 0),
    reviewed_by bigint NOT NULL REFERENCES staff_user (id),
    reviewed_at timestamptz NOT NULL,
    safeguarding boolean NOT NULL DEFAULT false,
    PRIMARY KEY (response_id, question_id)
);

CREATE INDEX victim_free_text_review_safeguarding_idx ON victim_free_text_review (response_id) WHERE safeguarding;
