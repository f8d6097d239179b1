#!/bin/sh
# The two database roles of Countersign (docs/security.md#database-roles). The official postgres
# image runs this once, as its superuser, when it initialises an empty data directory; on any
# other server a DBA runs the same statements (deploy/postgres/roles.sql) by hand.
#   countersign_owner  owns the database and everything in it; migrations, backups, restores
#   countersign_app    web, API, workers and beat; owns nothing, may only append to the audit
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$COUNTERSIGN_OWNER_PASSWORD" -v app_password="$COUNTERSIGN_APP_PASSWORD" \
  -v database="${COUNTERSIGN_DATABASE:-countersign}" -f /opt/countersign/roles.sql
