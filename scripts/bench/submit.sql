-- The statements the server runs for one POST /questionnaire/submit, for pgbench (see scripts/bench-submit).
-- Rows for victim :id were prepared with session id hash sha256('s' || id) and a complete draft.
\set id random(1, :victims)
\set iid :id + :offset
UPDATE victim_session SET expires_at = now() + interval '1 hour'
  WHERE id_hash = sha256(convert_to('s' || :id, 'UTF8')) AND expires_at > now()
  RETURNING invitation_id, code_sealed, csrf_token, language;
SELECT i.id, i.inspection_id, i.provider_id, i.language, i.status, n.victim_window_opens_on, n.victim_window_closes_on
  FROM invitation i JOIN inspection n ON n.id = i.inspection_id WHERE i.id = :iid;
SELECT answers FROM invitation_draft WHERE invitation_id = :iid;
BEGIN;
SELECT i.inspection_id, i.provider_id, i.status, i.token_hash, n.victim_window_closes_on
  FROM invitation i JOIN inspection n ON n.id = i.inspection_id WHERE i.id = :iid FOR UPDATE OF i;
INSERT INTO form_version (form_id, version, fingerprint) VALUES ('victim-questionnaire', 1, 'x') ON CONFLICT (form_id, version) DO NOTHING;
INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, language, channel, answers, withdrawal_key)
  SELECT inspection_id, provider_id, 'victim-questionnaire', 1, 'en', 'online', d.answers, sha256(convert_to(random()::text || clock_timestamp()::text, 'UTF8'))
  FROM invitation i JOIN invitation_draft d ON d.invitation_id = i.id WHERE i.id = :iid;
UPDATE invitation SET status = 'submitted', submitted_at = now() WHERE id = :iid;
DELETE FROM invitation_draft WHERE invitation_id = :iid;
COMMIT;
