-- Issue 19: themes for victims' free-text answers. Each inspection keeps its own list (seeded once from
-- forms/themes/victim-themes.yaml); a reviewed answer is tagged with any number of its inspection's themes. The report
-- counts, per question, the reviewed answers tagged with each theme, under the same disclosure control as every count.

CREATE TABLE inspection_theme (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inspection_id bigint NOT NULL REFERENCES inspection (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    welsh_name text CHECK (welsh_name IS NULL OR length(btrim(welsh_name)) BETWEEN 1 AND 60),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    -- Phrases that suggest the theme on the review page (never saved as a tag on their own).
    suggested_by text[] NOT NULL DEFAULT '{}',
    position integer NOT NULL
);
CREATE UNIQUE INDEX inspection_theme_name ON inspection_theme (inspection_id, lower(btrim(name)));

-- The inspections whose list has been seeded, so that one an inspector emptied is not seeded again.
CREATE TABLE inspection_theme_seeded (
    inspection_id bigint PRIMARY KEY REFERENCES inspection (id) ON DELETE CASCADE
);

CREATE TABLE victim_free_text_theme (
    response_id uuid NOT NULL,
    question_id text NOT NULL,
    theme_id bigint NOT NULL REFERENCES inspection_theme (id) ON DELETE CASCADE,
    PRIMARY KEY (response_id, question_id, theme_id),
    -- A tag belongs to a review: retention deletes it with the answer.
    FOREIGN KEY (response_id, question_id) REFERENCES victim_free_text_review (response_id, question_id) ON DELETE CASCADE
);
CREATE INDEX victim_free_text_theme_theme ON victim_free_text_theme (theme_id);

-- A tag on an answer of another inspection is refused by the database too, not only by the page.
CREATE FUNCTION victim_free_text_theme_same_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM victim_response r JOIN inspection_theme t ON t.inspection_id = r.inspection_id
        WHERE r.id = NEW.response_id AND t.id = NEW.theme_id
    ) THEN
        RAISE EXCEPTION 'theme % is not a theme of the inspection of this answer', NEW.theme_id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER victim_free_text_theme_same_inspection BEFORE INSERT OR UPDATE ON victim_free_text_theme
    FOR EACH ROW EXECUTE FUNCTION victim_free_text_theme_same_inspection();

-- Each revision keeps the names of the themes it tagged, with who and when.
ALTER TABLE victim_free_text_review_revision ADD COLUMN themes text[] NOT NULL DEFAULT '{}';
