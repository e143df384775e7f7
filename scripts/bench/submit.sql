-- The statements the server runs for one POST /questionnaire/submit, for pgbench (see scripts/bench-submit): the
-- session with its link (one statement), the sealed draft, then the submission itself (one statement, one transaction).
-- Rows for victim :id were prepared with session id hash sha256('s' || id), and a sealed draft under draft id
-- sha256('d' || id). The sealed copy pgbench stores is a sealed draft's 16 KiB (bench_sealed; the server seals its own,
-- the same size, and sends it as a parameter).
\set id random(1, :victims)
\set iid :id + :offset
WITH s AS (
    UPDATE victim_session SET expires_at = now() + interval '1 hour'
    WHERE id_hash = sha256(convert_to('s' || :id, 'UTF8')) AND expires_at > now()
    RETURNING invitation_id, secret_sealed, csrf_token, language AS session_language
)
SELECT s.invitation_id, s.secret_sealed, s.csrf_token, s.session_language,
       i.id, i.inspection_id, i.provider_id, i.language, i.status, n.victim_window_opens_on, n.victim_window_closes_on
FROM s LEFT JOIN invitation i ON i.id = s.invitation_id LEFT JOIN inspection n ON n.id = i.inspection_id;
SELECT sealed FROM victim_draft WHERE draft_id = sha256(convert_to('d' || :id, 'UTF8')) AND invitation_id = :iid;
WITH link AS (
    SELECT i.id, i.inspection_id, i.provider_id, i.status, n.victim_window_closes_on
    FROM invitation i JOIN inspection n ON n.id = i.inspection_id
    WHERE i.id = :iid FOR UPDATE OF i
), deposited AS (
    INSERT INTO sealed_response (inspection_id, provider_id, invitation_id, sealed)
    SELECT inspection_id, provider_id, id, (SELECT sealed FROM bench_sealed) FROM link
    WHERE status = ANY('{issued,opened,in_progress}'::text[]) AND victim_window_closes_on >= current_date
    RETURNING invitation_id
), spent AS (
    UPDATE invitation SET status = 'submitted', submitted_at = now(), submitted_language = 'en'
    WHERE id IN (SELECT invitation_id FROM deposited)
    RETURNING id
), cleared AS (
    DELETE FROM victim_draft WHERE invitation_id IN (SELECT invitation_id FROM deposited)
)
SELECT status, (SELECT count(*) FROM spent) AS stored FROM link;
