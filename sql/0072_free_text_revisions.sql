-- Issue 19: a review can be corrected until the report is published, as a new revision (never an overwrite), and an
-- inspector marks the reviewed answers the report may quote. The current row stays in victim_free_text_review (what
-- the report reads); every revision, with the phrases it redacted, who and when, is kept beside it and goes with it
-- when retention deletes the answer.

ALTER TABLE victim_free_text_review
    ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision > 0),
    ADD COLUMN quotable boolean NOT NULL DEFAULT false;

CREATE TABLE victim_free_text_review_revision (
    response_id uuid NOT NULL,
    question_id text NOT NULL,
    revision integer NOT NULL CHECK (revision > 0),
    -- The phrases redacted, so that a correction starts from them; personal data with the same retention as the answer.
    phrases text[] NOT NULL,
    redacted_text text NOT NULL,
    redactions integer NOT NULL CHECK (redactions >= 0),
    safeguarding boolean NOT NULL,
    quotable boolean NOT NULL,
    reviewed_by bigint NOT NULL REFERENCES staff_user (id),
    reviewed_at timestamptz NOT NULL,
    PRIMARY KEY (response_id, question_id, revision),
    FOREIGN KEY (response_id, question_id) REFERENCES victim_free_text_review (response_id, question_id) ON DELETE CASCADE
);

INSERT INTO victim_free_text_review_revision
    (response_id, question_id, revision, phrases, redacted_text, redactions, safeguarding, quotable, reviewed_by, reviewed_at)
SELECT response_id, question_id, 1, '{}', redacted_text, redactions, safeguarding, false, reviewed_by, reviewed_at
FROM victim_free_text_review;
