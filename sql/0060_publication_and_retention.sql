-- Publication and retention (issue 11).
--
-- Publishing an inspection sets inspection.published_on and stores its report, every table after disclosure
-- control, as a snapshot in the same transaction. From then on the report page and its exports show the snapshot, so
-- the retention job can delete the raw answers behind it without changing a published figure.

CREATE TABLE report_snapshot (
    inspection_id bigint PRIMARY KEY REFERENCES inspection (id),
    published_on date NOT NULL,
    -- Who published (NULL only if a later tool publishes from the command line).
    published_by bigint REFERENCES staff_user (id),
    published_at timestamptz NOT NULL,
    -- The layout of `report` (PublishedReport.formatVersion in the code).
    format_version integer NOT NULL CHECK (format_version >= 1),
    -- The report page's content and the export tables, already through disclosure control.
    report jsonb NOT NULL CHECK (jsonb_typeof(report) = 'object')
);

-- A snapshot belongs to a published inspection and carries its publication date: a snapshot of an unpublished
-- inspection is refused here as well as in the code.
CREATE FUNCTION report_snapshot_check_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM inspection i WHERE i.id = NEW.inspection_id AND i.published_on = NEW.published_on) THEN
        RAISE EXCEPTION 'report snapshot for an inspection that is not published on that date' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER report_snapshot_published
    BEFORE INSERT ON report_snapshot
    FOR EACH ROW EXECUTE FUNCTION report_snapshot_check_published();

-- Published figures never change: a snapshot cannot be updated or deleted.
CREATE FUNCTION report_snapshot_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report_snapshot is frozen: % refused', TG_OP USING ERRCODE = 'P0001';
END;
$$;

CREATE TRIGGER report_snapshot_frozen
    BEFORE UPDATE OR DELETE ON report_snapshot
    FOR EACH ROW EXECUTE FUNCTION report_snapshot_refuse_change();

CREATE TRIGGER report_snapshot_no_truncate
    BEFORE TRUNCATE ON report_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION report_snapshot_refuse_change();

-- Publication happens once: published_on, once set, is not changed or cleared.
CREATE FUNCTION inspection_published_on_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.published_on IS NOT NULL AND NEW.published_on IS DISTINCT FROM OLD.published_on THEN
        RAISE EXCEPTION 'inspection % is already published', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER inspection_published_once
    BEFORE UPDATE OF published_on ON inspection
    FOR EACH ROW EXECUTE FUNCTION inspection_published_on_fixed();

-- Links whose window has closed lose what makes them usable or identifying (the token and code hashes and the VLO's
-- reference); the row stays, with its status, provider, VLO and times, so every count and response rate stays the
-- same. erased_at says when.
ALTER TABLE invitation
    ALTER COLUMN token_hash DROP NOT NULL,
    ALTER COLUMN code_hash DROP NOT NULL,
    ADD COLUMN erased_at timestamptz,
    ADD CONSTRAINT invitation_erased_check CHECK (
        (erased_at IS NULL AND token_hash IS NOT NULL AND code_hash IS NOT NULL)
        OR (erased_at IS NOT NULL AND token_hash IS NULL AND code_hash IS NULL AND reference IS NULL)
    );
