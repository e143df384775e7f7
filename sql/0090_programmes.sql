-- Issue 22: programmes of inspections, the aggregate evidence each published inspection leaves behind, and frozen
-- programme reports.
--
-- A programme groups inspections (each in at most one). When an inspection's report is published, the figures its
-- report showed — counts only, exactly as published, after disclosure control — are kept in inspection_evidence. It
-- holds no answer, no free text, no link and no figure the report hid, so retention (which deletes answers, links and
-- reviews 12 months after publication) leaves it alone, and a programme report computed from it years later uses
-- only what was already public.

CREATE TABLE programme (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_on <= ends_on)
);
CREATE UNIQUE INDEX programme_name ON programme (lower(btrim(name)));

-- An inspection belongs to at most one programme (the primary key).
CREATE TABLE programme_inspection (
    inspection_id bigint PRIMARY KEY REFERENCES inspection (id),
    programme_id bigint NOT NULL REFERENCES programme (id),
    added_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX programme_inspection_programme ON programme_inspection (programme_id);

-- A published inspection stays in its programme: the database refuses to move or remove it, as the pages do.
CREATE FUNCTION programme_inspection_keep_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inspection i WHERE i.id = OLD.inspection_id AND i.published_on IS NOT NULL) THEN
        RAISE EXCEPTION 'inspection % is published: it stays in programme %', OLD.inspection_id, OLD.programme_id USING ERRCODE = 'P0001';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
CREATE TRIGGER programme_inspection_keep_published BEFORE UPDATE OR DELETE ON programme_inspection
    FOR EACH ROW EXECUTE FUNCTION programme_inspection_keep_published();

-- The published figures of an inspection, one row per figure, written in the publishing transaction.
--   section       what the figure is: victim_measure (per question: positive answers of the base), victim_option (per
--                 question and answer code), links (per provider: links issued, responses), theme (per free-text
--                 question and theme: tagged of reviewed), sentencer_rating (per topic and rating: meetings),
--                 sentencer_meetings (per format), sentencer_attendance (per role: attendees), survey (per survey
--                 question, the area's and the national positive of base, with survey_year).
--   item, code    the question, provider, topic or theme; the answer code, rating or role ('' where none)
--   label         the words shown for it (question wording, provider name, theme name)
--   grouping      the provider's kind for links; 'area' or 'national' for survey rows; '' otherwise
--   count, base   the figure and its base as published; NULL where the published report showed [c]
CREATE TABLE inspection_evidence (
    inspection_id bigint NOT NULL REFERENCES inspection (id),
    section text NOT NULL CHECK (section IN ('victim_measure', 'victim_option', 'links', 'theme', 'sentencer_rating',
                                             'sentencer_meetings', 'sentencer_attendance', 'survey')),
    item text NOT NULL,
    code text NOT NULL DEFAULT '',
    grouping text NOT NULL DEFAULT '',
    label text NOT NULL DEFAULT '',
    count integer CHECK (count >= 0),
    base integer CHECK (base >= 0),
    survey_year integer,
    PRIMARY KEY (inspection_id, section, item, code, grouping)
);

-- Evidence is as frozen as the snapshot it came from.
CREATE FUNCTION frozen_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is frozen: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'P0001';
END;
$$;
CREATE TRIGGER inspection_evidence_frozen BEFORE UPDATE OR DELETE ON inspection_evidence
    FOR EACH ROW EXECUTE FUNCTION frozen_refuse_change();
CREATE TRIGGER inspection_evidence_no_truncate BEFORE TRUNCATE ON inspection_evidence
    FOR EACH STATEMENT EXECUTE FUNCTION frozen_refuse_change();

-- A programme report frozen under a label ("After the sixth inspection"): the whole report as it was then.
CREATE TABLE programme_snapshot (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme_id bigint NOT NULL REFERENCES programme (id),
    label text NOT NULL CHECK (length(btrim(label)) BETWEEN 1 AND 120),
    published_on date NOT NULL,
    published_by bigint REFERENCES staff_user (id),
    published_at timestamptz NOT NULL,
    format_version integer NOT NULL CHECK (format_version >= 1),
    -- The inspections it covered, for the page's list.
    inspections integer NOT NULL CHECK (inspections >= 1),
    report jsonb NOT NULL CHECK (jsonb_typeof(report) = 'object')
);
CREATE UNIQUE INDEX programme_snapshot_label ON programme_snapshot (programme_id, lower(btrim(label)));
CREATE TRIGGER programme_snapshot_frozen BEFORE UPDATE OR DELETE ON programme_snapshot
    FOR EACH ROW EXECUTE FUNCTION frozen_refuse_change();
CREATE TRIGGER programme_snapshot_no_truncate BEFORE TRUNCATE ON programme_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION frozen_refuse_change();
