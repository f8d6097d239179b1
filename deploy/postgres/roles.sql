-- The two database roles of Countersign (docs/security.md#database-roles), for psql:
--   psql -v owner_password=... -v app_password=... -v database=countersign -f roles.sql
-- Run it as a superuser (or a role with CREATEROLE and CREATEDB) once per server. The owner
-- then runs the migrations (`manage.py setup`, or the image's `migrate`), which grant the
-- application role its rights in every schema, including tenant schemas created later.
CREATE ROLE countersign_owner LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE countersign_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"database" OWNER countersign_owner;
\connect :"database"
-- PostgreSQL 15+ gives the public schema to the database owner; older ones need this.
ALTER SCHEMA public OWNER TO countersign_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
