-- Sentencer meetings (DOMAIN.md §4, issue 7): an inspector's record of a meeting with sentencers, kept against the
-- schedule in forms/sentencer-interview.yaml. Sentencers are recorded by role and count only: no column anywhere holds
-- a sentencer's name. Report sentencer views as counts of meetings and roles and the spread of ratings, never as a
-- percentage against a national figure.
--
-- How to read it (for reports):
--   * sentencer_meeting            one row per meeting: the header as columns, the full answers as jsonb, draft/final.
--   * sentencer_meeting_attendance attendees per meeting by role (a row only for roles with at least one attendee).
--   * sentencer_meeting_topic      one row per answered topic T1-T8: rating, views divided, follow-up, notes, quote.
--   * sentencer_meeting_revision   every saved version (who, when, which fields changed, the full answers).
-- The attendance and topic rows are rewritten from `answers` in the transaction that saves the meeting, so they always
-- agree with the latest revision. Evidence reports should normally use status = 'final' only.

CREATE TABLE sentencer_meeting (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inspection_id bigint NOT NULL REFERENCES inspection (id),
    -- The schedule the answers were given against (form_version records its fingerprint).
    form_id text NOT NULL,
    form_version integer NOT NULL,
    -- 'draft' until an inspector marks it final; editing a final record keeps it final and adds a revision.
    status text NOT NULL CHECK (status IN ('draft', 'final')),
    -- Optimistic concurrency: every save is based on a revision and refused unless it is still the current one.
    revision integer NOT NULL CHECK (revision >= 1),
    -- Every answer keyed by question id (see forms/README.md), in the Forms module's AnswerValue JSON:
    -- {"codes": [...]}, {"text": "..."}, {"number": "3"}, {"date": {"day", "month", "year"}}. Two keys are not
    -- schedule questions but header fields this service adds: meeting_mode {"codes": ["in_person"|"phone"|"video"]}
    -- and court_name {"text": "..."} (the court's name, not a person's).
    answers jsonb NOT NULL,
    -- The header, copied from answers on every save.
    meeting_date date NOT NULL,
    meeting_format text NOT NULL CHECK (meeting_format IN ('one_to_one', 'bench_group', 'liaison_meeting')),
    meeting_mode text NOT NULL CHECK (meeting_mode IN ('in_person', 'phone', 'video')),
    court_type text NOT NULL CHECK (court_type IN ('magistrates', 'crown', 'both')),
    court_name text NOT NULL CHECK (length(court_name) BETWEEN 1 AND 100),
    -- The inspection's week +2 meetings.
    week_plus_two boolean NOT NULL,
    created_by bigint NOT NULL REFERENCES staff_user (id),
    created_at timestamptz NOT NULL,
    updated_by bigint NOT NULL REFERENCES staff_user (id),
    updated_at timestamptz NOT NULL,
    -- Who marked it final, and when (the first time).
    finalised_by bigint REFERENCES staff_user (id),
    finalised_at timestamptz,
    CHECK ((status = 'final') = (finalised_by IS NOT NULL AND finalised_at IS NOT NULL))
);

CREATE INDEX sentencer_meeting_inspection_idx ON sentencer_meeting (inspection_id, meeting_date);

-- Attendance by role and count only. Roles are the schedule's: lay_magistrate, bench_chair, district_judge
-- (magistrates' courts), crown_court_judge (or recorder), resident_judge, legal_adviser.
CREATE TABLE sentencer_meeting_attendance (
    meeting_id bigint NOT NULL REFERENCES sentencer_meeting (id) ON DELETE CASCADE,
    role text NOT NULL
        CHECK (role IN ('lay_magistrate', 'bench_chair', 'district_judge', 'crown_court_judge', 'resident_judge', 'legal_adviser')),
    attendees integer NOT NULL CHECK (attendees BETWEEN 1 AND 50),
    PRIMARY KEY (meeting_id, role)
);

-- One row per topic with any answer. topic is 't1'..'t8' (DOMAIN.md §4 table). rating is the schedule's confidence
-- code (very_confident, fairly_confident, not_very_confident, not_at_all_confident, no_view; no_view is left out of
-- any base); NULL for T8 (no rating) or a topic not yet rated in a draft. A group meeting has one rating, the main
-- view, with views_divided when views differed. quote_role is who said the quote, by role (same codes as attendance).
CREATE TABLE sentencer_meeting_topic (
    meeting_id bigint NOT NULL REFERENCES sentencer_meeting (id) ON DELETE CASCADE,
    topic text NOT NULL CHECK (topic IN ('t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8')),
    rating text CHECK (rating IN ('very_confident', 'fairly_confident', 'not_very_confident', 'not_at_all_confident', 'no_view')),
    views_divided boolean NOT NULL DEFAULT false,
    follow_up boolean NOT NULL DEFAULT false,
    evidence text CHECK (length(evidence) <= 4000),
    quote text CHECK (length(quote) <= 1000),
    quote_role text
        CHECK (quote_role IN ('lay_magistrate', 'bench_chair', 'district_judge', 'crown_court_judge', 'resident_judge', 'legal_adviser')),
    PRIMARY KEY (meeting_id, topic),
    CHECK (topic <> 't8' OR rating IS NULL)
);

-- Every saved version of a meeting. revision 1 is the first save; each later save that changes something adds one.
-- changed_fields lists the answer keys that differ from the previous revision (empty for revision 1 and for the save
-- that only marks the record final). answers is the full set of answers as saved, for the field-by-field history.
CREATE TABLE sentencer_meeting_revision (
    meeting_id bigint NOT NULL REFERENCES sentencer_meeting (id) ON DELETE CASCADE,
    revision integer NOT NULL CHECK (revision >= 1),
    status text NOT NULL CHECK (status IN ('draft', 'final')),
    answers jsonb NOT NULL,
    changed_fields text[] NOT NULL,
    saved_by bigint NOT NULL REFERENCES staff_user (id),
    saved_at timestamptz NOT NULL,
    PRIMARY KEY (meeting_id, revision)
);

-- A meeting falls within its inspection: on or after the announcement and, once published, not after publication.
-- (The service also refuses dates after today; that bound moves, so it is not a schema rule.)
CREATE FUNCTION sentencer_meeting_date_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM inspection i
        WHERE i.id = NEW.inspection_id AND NEW.meeting_date >= i.announced_on
          AND (i.published_on IS NULL OR NEW.meeting_date <= i.published_on)
    ) THEN
        RAISE EXCEPTION 'meeting date outside the inspection' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER sentencer_meeting_date_within_inspection
    BEFORE INSERT OR UPDATE OF meeting_date, inspection_id ON sentencer_meeting
    FOR EACH ROW EXECUTE FUNCTION sentencer_meeting_date_check();
