-- Tamper evidence and least privilege (issue 18; docs/security.md).
--
-- The audit log and the published snapshots are hash chains: each row carries its place in the chain (chain_seq,
-- 1, 2, 3 … with no gap), the previous row's hash (prev_hash; 32 zero bytes for the first) and its own hash
-- (row_hash = SHA-256 of prev_hash followed by the row's content as canonical JSON). A trigger that runs last among
-- the tables' BEFORE INSERT triggers fills the three columns, whatever the inserting statement supplied, under a
-- transaction-scoped advisory lock per table, so concurrent inserts take turns and the chain never forks (UNIQUE on
-- chain_seq refuses a fork in any case). `stakeholder-views audit verify` recomputes every hash and names the first
-- row that was changed, a gap (a deleted row), or a chain whose first entry is missing.
--
-- The service role (README, "Database roles") gets INSERT and SELECT on these two tables only: it can neither change
-- nor delete a row, nor disable a trigger (only an owner can). An owner can, and the chain then shows it.

-- The hash of one audit row: its fields as a JSON array (times as microseconds since 1970, so the text does not
-- depend on the session's TimeZone or DateStyle), after the previous row's hash.
CREATE FUNCTION audit_event_hash(
    prev bytea, id bigint, chain_seq bigint, occurred_at timestamptz, event text, actor_user_id bigint, client_address text,
    subject_type text, subject_id text, details jsonb
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(prev || convert_to(jsonb_build_array(
        id, chain_seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, event, actor_user_id, client_address, subject_type,
        subject_id, details
    )::text, 'UTF8'))
$$;

CREATE FUNCTION report_snapshot_hash(
    prev bytea, inspection_id bigint, chain_seq bigint, published_on date, published_by bigint, published_at timestamptz,
    format_version integer, report jsonb
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(prev || convert_to(jsonb_build_array(
        inspection_id, chain_seq, to_char(published_on, 'YYYY-MM-DD'), published_by,
        (extract(epoch FROM published_at) * 1000000)::bigint, format_version, report
    )::text, 'UTF8'))
$$;

ALTER TABLE audit_event ADD COLUMN chain_seq bigint, ADD COLUMN prev_hash bytea, ADD COLUMN row_hash bytea;
ALTER TABLE report_snapshot ADD COLUMN chain_seq bigint, ADD COLUMN prev_hash bytea, ADD COLUMN row_hash bytea;

-- Rows written before this migration are chained in the order they were written (audit: id; snapshots: publication).
ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete;
ALTER TABLE report_snapshot DISABLE TRIGGER report_snapshot_frozen;
DO $$
DECLARE
    r record;
    seq bigint := 0;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
BEGIN
    FOR r IN SELECT * FROM audit_event ORDER BY id LOOP
        seq := seq + 1;
        UPDATE audit_event SET chain_seq = seq, prev_hash = prev,
            row_hash = audit_event_hash(prev, r.id, seq, r.occurred_at, r.event, r.actor_user_id, r.client_address,
                                        r.subject_type, r.subject_id, r.details)
        WHERE id = r.id RETURNING row_hash INTO prev;
    END LOOP;
    seq := 0;
    prev := '\x0000000000000000000000000000000000000000000000000000000000000000';
    FOR r IN SELECT * FROM report_snapshot ORDER BY published_at, inspection_id LOOP
        seq := seq + 1;
        UPDATE report_snapshot SET chain_seq = seq, prev_hash = prev,
            row_hash = report_snapshot_hash(prev, r.inspection_id, seq, r.published_on, r.published_by, r.published_at,
                                            r.format_version, r.report)
        WHERE inspection_id = r.inspection_id RETURNING row_hash INTO prev;
    END LOOP;
END;
$$;
ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_or_delete;
ALTER TABLE report_snapshot ENABLE TRIGGER report_snapshot_frozen;

ALTER TABLE audit_event
    ALTER COLUMN chain_seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL,
    ADD CONSTRAINT audit_event_chain_seq_key UNIQUE (chain_seq);
ALTER TABLE report_snapshot
    ALTER COLUMN chain_seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL,
    ADD CONSTRAINT report_snapshot_chain_seq_key UNIQUE (chain_seq);

-- The chain link for a new row. The lock is per table and per schema and lasts until commit: the next insert waits
-- and then (at READ COMMITTED, which the service uses) sees this row.
CREATE FUNCTION audit_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last record;
BEGIN
    PERFORM pg_advisory_xact_lock(7215018, hashtext(TG_TABLE_SCHEMA || '.audit_event'));
    EXECUTE format('SELECT chain_seq, row_hash FROM %I.audit_event ORDER BY chain_seq DESC LIMIT 1', TG_TABLE_SCHEMA) INTO last;
    NEW.chain_seq := coalesce(last.chain_seq, 0) + 1;
    NEW.prev_hash := coalesce(last.row_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.row_hash := audit_event_hash(NEW.prev_hash, NEW.id, NEW.chain_seq, NEW.occurred_at, NEW.event, NEW.actor_user_id,
                                     NEW.client_address, NEW.subject_type, NEW.subject_id, NEW.details);
    RETURN NEW;
END;
$$;

CREATE FUNCTION report_snapshot_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last record;
BEGIN
    PERFORM pg_advisory_xact_lock(7215018, hashtext(TG_TABLE_SCHEMA || '.report_snapshot'));
    EXECUTE format('SELECT chain_seq, row_hash FROM %I.report_snapshot ORDER BY chain_seq DESC LIMIT 1', TG_TABLE_SCHEMA) INTO last;
    NEW.chain_seq := coalesce(last.chain_seq, 0) + 1;
    NEW.prev_hash := coalesce(last.row_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.row_hash := report_snapshot_hash(NEW.prev_hash, NEW.inspection_id, NEW.chain_seq, NEW.published_on, NEW.published_by,
                                         NEW.published_at, NEW.format_version, NEW.report);
    RETURN NEW;
END;
$$;

-- BEFORE triggers fire in name order: "zz_" puts these after any that might still change the row.
CREATE TRIGGER zz_audit_event_chain BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_chain();
CREATE TRIGGER zz_report_snapshot_chain BEFORE INSERT ON report_snapshot FOR EACH ROW EXECUTE FUNCTION report_snapshot_chain();

-- The survey import creates a staging table per batch and attaches it as the batch's partition of
-- service_user_response: DDL, which the service role may not do. These two functions do exactly that and nothing
-- else, as their owner (SECURITY DEFINER), for a batch that is still loading; the search path is fixed to this schema
-- (pg_temp last) so a caller cannot substitute objects. Only the service role is granted EXECUTE.
DO $do$
BEGIN
    EXECUTE format($f$
        CREATE FUNCTION survey_import_create_staging(batch bigint) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM service_user_import_batch WHERE id = batch AND status = 'loading') THEN
                RAISE EXCEPTION 'survey import batch %% is not loading', batch USING ERRCODE = 'check_violation';
            END IF;
            EXECUTE format('CREATE TABLE %%I (LIKE service_user_response INCLUDING DEFAULTS INCLUDING CONSTRAINTS, CHECK (batch_id = %%s))',
                           'service_user_response_b' || batch, batch);
            EXECUTE format('GRANT SELECT, INSERT ON %%I TO %%I', 'service_user_response_b' || batch, session_user);
        END;
        $body$
    $f$, current_schema());
    EXECUTE format($f$
        CREATE FUNCTION survey_import_attach_staging(batch bigint) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM service_user_import_batch WHERE id = batch AND status = 'loading') THEN
                RAISE EXCEPTION 'survey import batch %% is not loading', batch USING ERRCODE = 'check_violation';
            END IF;
            EXECUTE format('ALTER TABLE service_user_response ATTACH PARTITION %%I FOR VALUES IN (%%s)',
                           'service_user_response_b' || batch, batch);
        END;
        $body$
    $f$, current_schema());
END;
$do$;
REVOKE EXECUTE ON FUNCTION survey_import_create_staging(bigint), survey_import_attach_staging(bigint) FROM PUBLIC;
