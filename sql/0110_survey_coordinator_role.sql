-- Issue 21 item 2: the provider survey coordinator, a provider's staff member who issues batches of single-use codes
-- for the online survey of people on probation. Like a VLO, a coordinator belongs to a provider: the generated
-- organisation kind (and with it the composite foreign key to organisation) now says so for both roles. A generated
-- column's expression cannot be altered in place, so it is dropped (its foreign key goes with it) and added again.

ALTER TABLE staff_user DROP CONSTRAINT staff_user_role_check;
ALTER TABLE staff_user ADD CONSTRAINT staff_user_role_check CHECK (role IN ('admin', 'inspector', 'vlo', 'survey_coordinator'));

ALTER TABLE staff_user DROP COLUMN organisation_kind;
ALTER TABLE staff_user ADD COLUMN organisation_kind text NOT NULL
    GENERATED ALWAYS AS (CASE WHEN role IN ('vlo', 'survey_coordinator') THEN 'provider' ELSE 'inspectorate' END) STORED;
ALTER TABLE staff_user ADD CONSTRAINT staff_user_organisation_id_organisation_kind_fkey
    FOREIGN KEY (organisation_id, organisation_kind) REFERENCES organisation (id, kind);
