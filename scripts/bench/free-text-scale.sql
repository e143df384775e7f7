-- Issue 19, item 5: the free-text review pages' queries with 5,000 free-text answers in one inspection, half reviewed.
-- Run against a scratch database that has the demo data (`stakeholder-views dev seed-demo`):
--   psql "$DATABASE_URL" -f scripts/bench/free-text-scale.sql
-- It adds 5,000 answers and 2,500 reviews to the first inspection; the EXPLAIN ANALYZE summaries give each query's time.
SELECT id AS insp FROM inspection ORDER BY id LIMIT 1 \gset
SELECT min(id) AS staff FROM staff_user \gset
INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, channel, answers)
SELECT :insp, (SELECT provider_id FROM inspection_provider WHERE inspection_id = :insp LIMIT 1), 'victim-questionnaire', 1, 'paper',
    jsonb_build_object('v19_helped_most', jsonb_build_object('text', 'Answer number ' || g || ': my VLO rang me about the release date.'))
FROM generate_series(1, 5000) g;
INSERT INTO victim_free_text_review (response_id, question_id, redacted_text, redactions, reviewed_by, reviewed_at, safeguarding)
SELECT r.id, 'v19_helped_most', 'x', 0, :staff, now(), false
FROM victim_response r WHERE r.inspection_id = :insp AND r.answers ? 'v19_helped_most' LIMIT 2500
ON CONFLICT DO NOTHING;
ANALYZE;
-- The review page: the first 20 unreviewed answers and how many are left (FreeTextReviewStore.pending).
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)
SELECT r.id::text AS response_id, a.key AS question_id, a.value ->> 'text' AS text, count(*) OVER () AS total
FROM victim_response r, jsonb_each(r.answers) a
WHERE r.inspection_id = :insp AND jsonb_typeof(a.value -> 'text') = 'string'
  AND NOT EXISTS (SELECT 1 FROM victim_free_text_review v WHERE v.response_id = r.id AND v.question_id = a.key)
ORDER BY a.key, r.id LIMIT 20;
-- The reviewed list, page 49 of 50 answers each (FreeTextReviewStore.reviewedPage).
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)
SELECT v.response_id::text AS response_id, v.question_id, r.answers -> v.question_id ->> 'text' AS text, v.redacted_text,
       v.safeguarding, v.quotable, v.revision, u.display_name AS reviewer, v.reviewed_at, count(*) OVER () AS total
FROM victim_free_text_review v JOIN victim_response r ON r.id = v.response_id JOIN staff_user u ON u.id = v.reviewed_by
WHERE r.inspection_id = :insp
ORDER BY v.reviewed_at DESC, v.response_id, v.question_id
OFFSET 2400 LIMIT 50;
