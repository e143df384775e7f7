-- Run once by the postgres:15 image when its volume is new (docker-compose.yml mounts this folder at
-- /docker-entrypoint-initdb.d). The two roles of README "Database roles": the owner runs migrations, the service
-- role is what the app serves as; it owns nothing and migrate grants it only what each table needs.
-- Change both passwords here and in docker-compose.yml before the first `docker compose up`.
CREATE ROLE stakeholder_views_owner LOGIN PASSWORD 'change-me-owner';
CREATE ROLE stakeholder_views_service LOGIN PASSWORD 'change-me-service';
ALTER DATABASE stakeholder_views OWNER TO stakeholder_views_owner;
\connect stakeholder_views
REVOKE ALL ON DATABASE stakeholder_views FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE stakeholder_views TO stakeholder_views_owner, stakeholder_views_service;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO stakeholder_views_service;
