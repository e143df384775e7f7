-- The statements the server runs for one POST /questionnaire/submit, for pgbench (see scripts/bench-submit).
-- Rows for victim :id were prepared with session id hash sha256('s' || id), and a sealed draft under draft id
-- sha256('d' || id). The sealed copy pgbench stores is the draft's 16 KiB (the server seals its own, the same size).
\set id random(1, :victims)
\set iid :id + :offset
UPDATE victim_session SET expires_at = now() + interval '1 hour'
  WHERE id_hash = sha256(convert_to('s' || :id, 'UTF8')) AND expires_at > now()
  RETURNING invitation_id, secret_sealed, csrf_token, language;
SELECT i.id, i.inspection_id, i.provider_id, i.language, i.status, n.victim_window_opens_on, n.victim_window_closes_on
  FROM invitation i JOIN inspection n ON n.id = i.inspection_id WHERE i.id = :iid;
SELECT sealed FROM victim_draft WHERE draft_id = sha256(convert_to('d' || :id, 'UTF8')) AND invitation_id = :iid;
BEGIN;
SELECT i.inspection_id, i.provider_id, i.status, n.victim_window_closes_on
  FROM invitation i JOIN inspection n ON n.id = i.inspection_id WHERE i.id = :iid FOR UPDATE OF i;
INSERT INTO sealed_response (inspection_id, provider_id, invitation_id, sealed)
  SELECT i.inspection_id, i.provider_id, i.id, d.sealed FROM invitation i JOIN victim_draft d ON d.invitation_id = i.id WHERE i.id = :iid
  ON CONFLICT (invitation_id) DO NOTHING;
UPDATE invitation SET status = 'submitted', submitted_at = now(), submitted_language = 'en' WHERE id = :iid;
DELETE FROM victim_draft WHERE invitation_id = :iid;
COMMIT;
