#!/bin/sh
# Run once by the postgres image's entrypoint, as the superuser, when the
# data volume is new: Haven's two roles and its database, as
# docs/deployment.md describes. The owner runs migrations and bypasses
# row-level security; the app role owns nothing and is bound by it.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
  -v owner_pw="$HAVEN_OWNER_PASSWORD" -v app_pw="$HAVEN_APP_PASSWORD" <<'SQL'
CREATE ROLE haven_owner LOGIN PASSWORD :'owner_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
CREATE ROLE haven_app   LOGIN PASSWORD :'app_pw'   NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE haven OWNER haven_owner;
\c haven
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
