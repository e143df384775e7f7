-- Issue 20 item 5: VLOs at scale. A reminder letter carries the same access code as the first letter (a link is
-- never re-spent), so an unused link keeps its code sealed with AES-GCM under a key derived from LINK_SECRET, bound
-- to the link's code hash (a sealed code copied to another row does not open). It exists only while the link can
-- still be answered: a trigger clears it whenever the link leaves issued/opened/in_progress (submitted, withdrawn,
-- expired, revoked) or its credentials are erased, in the same statement, so the transaction that spends a link
-- also removes its code. The CHECK makes the rule the schema's, whatever statement changes the row.
ALTER TABLE invitation ADD COLUMN reminder_code bytea CHECK (reminder_code IS NULL OR length(reminder_code) BETWEEN 28 AND 64);

CREATE FUNCTION invitation_clear_reminder_code() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status NOT IN ('issued', 'opened', 'in_progress') OR NEW.erased_at IS NOT NULL OR NEW.code_hash IS NULL THEN
        NEW.reminder_code := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER invitation_clear_reminder_code BEFORE INSERT OR UPDATE ON invitation
    FOR EACH ROW EXECUTE FUNCTION invitation_clear_reminder_code();

ALTER TABLE invitation ADD CONSTRAINT invitation_reminder_code_only_unused
    CHECK (reminder_code IS NULL OR (status IN ('issued', 'opened', 'in_progress') AND erased_at IS NULL AND code_hash IS NOT NULL));

-- The links page sorts a provider's links by issue date and pages them; a search by reference scans only them.
CREATE INDEX invitation_provider_issued_idx ON invitation (inspection_id, provider_id, issued_at DESC, id DESC);
