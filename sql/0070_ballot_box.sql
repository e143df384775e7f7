-- The ballot box for victims' answers (issue 15; docs/privacy.md).
--
-- A submission no longer writes the reporting table. It stores the answers sealed (AES-GCM under a key from the
-- service's LINK_SECRET, padded to whole 16 KiB blocks) in sealed_response, in the transaction that spends the link:
-- those two rows share a transaction id, by design, and nothing else does. The service releases sealed copies into
-- victim_response per inspection and provider, at least 10 at a time (or the remainder once the window has closed),
-- shuffled, in a transaction of its own, and deletes them as it does.

CREATE TABLE sealed_response (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    inspection_id bigint NOT NULL REFERENCES inspection (id),
    provider_id bigint NOT NULL REFERENCES provider (id),
    -- The link that was spent (NULL for paper): a withdrawal before release finds the sealed copy by it.
    invitation_id bigint REFERENCES invitation (id),
    sealed bytea NOT NULL CHECK (length(sealed) > 0 AND length(sealed) % 16384 = 0),
    UNIQUE (invitation_id)
);

CREATE INDEX sealed_response_group_idx ON sealed_response (inspection_id, provider_id);

-- Welsh uptake is counted on the link side at submission; the response records no language.
ALTER TABLE invitation ADD COLUMN submitted_language text CHECK (submitted_language IN ('en', 'cy'));
ALTER TABLE paper_return ADD COLUMN language text CHECK (language IN ('en', 'cy'));

-- The reporting table, rebuilt: no language, and the rows already stored are copied once in random order, so their
-- transaction id and physical order no longer follow their links. Withdrawal keys made before the ballot box were
-- derived from the access code, which the letter carries: they are cleared (docs/privacy.md, "Migration").
CREATE TABLE victim_response_released (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    inspection_id bigint NOT NULL REFERENCES inspection (id),
    provider_id bigint NOT NULL REFERENCES provider (id),
    form_id text NOT NULL,
    form_version integer NOT NULL,
    channel text NOT NULL CHECK (channel IN ('online', 'paper')),
    answers jsonb NOT NULL,
    -- An HMAC of the victim's resume code (never of anything the letter carries), so that the victim alone can
    -- withdraw while the window is open; cleared when it closes.
    withdrawal_key bytea UNIQUE CHECK (withdrawal_key IS NULL OR length(withdrawal_key) = 32),
    CHECK (channel = 'online' OR withdrawal_key IS NULL)
);

INSERT INTO victim_response_released (id, inspection_id, provider_id, form_id, form_version, channel, answers)
SELECT id, inspection_id, provider_id, form_id, form_version, channel, answers FROM victim_response ORDER BY gen_random_uuid();

ALTER TABLE victim_free_text_review DROP CONSTRAINT victim_free_text_review_response_id_fkey;
DROP TABLE victim_response;
ALTER TABLE victim_response_released RENAME TO victim_response;
ALTER TABLE victim_response RENAME CONSTRAINT victim_response_released_pkey TO victim_response_pkey;
ALTER INDEX victim_response_released_withdrawal_key_key RENAME TO victim_response_withdrawal_key_key;
CREATE INDEX victim_response_inspection_idx ON victim_response (inspection_id, provider_id);
ALTER TABLE victim_free_text_review
    ADD CONSTRAINT victim_free_text_review_response_id_fkey FOREIGN KEY (response_id) REFERENCES victim_response (id) ON DELETE CASCADE;

-- Drafts, sealed under a key from the victim's resume code and the service's key, found by a keyed hash of the code.
-- A link may have several (someone holding only the letter starts again rather than opening the victim's); sending
-- any one spends the link and deletes them all.
CREATE TABLE victim_draft (
    draft_id bytea PRIMARY KEY CHECK (length(draft_id) = 32),
    invitation_id bigint NOT NULL REFERENCES invitation (id) ON DELETE CASCADE,
    sealed bytea NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE INDEX victim_draft_invitation_idx ON victim_draft (invitation_id);

-- Drafts saved in clear before this migration wait here until the server seals them at start-up (BallotBox
-- migration step), then the table is dropped. Nothing else reads it.
ALTER TABLE invitation_draft RENAME TO invitation_draft_unsealed;

-- A victim session holds the resume code sealed under a key from the cookie's id, which the database never sees.
-- Sessions open at the upgrade hold the access code there instead (10 characters): they can still open the draft
-- they were answering (sealed for them at start-up), and nothing else.
ALTER TABLE victim_session RENAME COLUMN code_sealed TO secret_sealed;

-- Rate-limit counters hold a keyed hash of the client's address under a key that changes every day, never the
-- address: counters from before are dropped (they live a day at most).
DELETE FROM rate_limit_hit;
