-- Inspectors assigned to inspections, and who issued each link.

CREATE TABLE inspection_inspector (
    inspection_id bigint NOT NULL REFERENCES inspection (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES staff_user (id),
    is_lead boolean NOT NULL DEFAULT false,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (inspection_id, user_id)
);

CREATE UNIQUE INDEX inspection_one_lead_idx ON inspection_inspector (inspection_id) WHERE is_lead;

ALTER TABLE invitation ADD CONSTRAINT invitation_issued_by_fkey FOREIGN KEY (issued_by) REFERENCES staff_user (id);

-- Paper questionnaires keyed in by an inspector: which inspection, when, by whom (the response row itself holds
-- no staff id, like online responses; this counts paper returns per provider for response rates).
CREATE TABLE paper_return (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inspection_id bigint NOT NULL REFERENCES inspection (id),
    provider_id bigint NOT NULL REFERENCES provider (id),
    entered_by bigint NOT NULL REFERENCES staff_user (id),
    entered_at timestamptz NOT NULL
);
