-- The least durable work one submission can be, for pgbench (see scripts/bench-submit): one transaction that stores
-- one sealed 16 KiB row and spends one link. The sealed bytes are one of the server's sealed drafts (bench_sealed).
\set id random(1, :victims)
\set iid :id + :offset
BEGIN;
INSERT INTO sealed_response (inspection_id, provider_id, invitation_id, sealed)
  SELECT i.inspection_id, i.provider_id, i.id, b.sealed FROM invitation i, bench_sealed b WHERE i.id = :iid
  ON CONFLICT (invitation_id) DO NOTHING;
UPDATE invitation SET status = 'submitted', submitted_at = now() WHERE id = :iid;
COMMIT;
