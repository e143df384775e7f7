-- An inspection's dates may not move past the sentencer meetings already recorded for it. 0040 checks a meeting's
-- date against its inspection when the meeting is written; without this, moving the announcement date later (or the
-- publication date earlier) left meetings outside their inspection, and every later save of such a meeting failed.
CREATE FUNCTION inspection_dates_keep_meetings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM sentencer_meeting m
        WHERE m.inspection_id = NEW.id
          AND (m.meeting_date < NEW.announced_on OR (NEW.published_on IS NOT NULL AND m.meeting_date > NEW.published_on))
    ) THEN
        RAISE EXCEPTION 'sentencer meetings outside the inspection dates'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'inspection_dates_keep_meetings';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER inspection_dates_keep_meetings BEFORE UPDATE OF announced_on, published_on ON inspection
    FOR EACH ROW EXECUTE FUNCTION inspection_dates_keep_meetings();
