-- Areas and the providers working in them (DOMAIN.md §2). Boundaries change over time, so both carry validity
-- dates, and area_lineage links an old area to its successor so earlier survey years can sit beside a later
-- inspection.

CREATE TABLE area (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9_-]{1,20}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    country text NOT NULL CHECK (country IN ('england', 'wales')),
    valid_from date NOT NULL,
    valid_to date,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);

CREATE TABLE area_lineage (
    predecessor_id bigint NOT NULL REFERENCES area (id),
    successor_id bigint NOT NULL REFERENCES area (id),
    PRIMARY KEY (predecessor_id, successor_id),
    CHECK (predecessor_id <> successor_id)
);

CREATE TABLE provider (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9_-]{1,20}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('trust', 'nps', 'crc')),
    area_id bigint NOT NULL REFERENCES area (id),
    valid_from date NOT NULL,
    valid_to date,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);

CREATE INDEX provider_area_idx ON provider (area_id);
