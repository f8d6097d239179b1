#!/bin/sh
# Process types of the Countersign image. Everything is configured through the environment
# (docs/configuration.md, docs/operations.md); nothing here holds a secret.
set -eu

case "${1:-web}" in
  web)
    shift || true
    exec gunicorn config.wsgi:application --config /app/deploy/gunicorn.conf.py "$@"
    ;;
  worker)
    shift
    exec celery -A config worker --loglevel="${LOG_LEVEL:-INFO}" \
      --concurrency="${CELERY_CONCURRENCY:-4}" --max-tasks-per-child="${CELERY_MAX_TASKS_PER_CHILD:-500}" \
      --without-gossip --without-mingle "$@"
    ;;
  beat)
    shift
    # Exactly one beat per installation (replicas: 1, strategy Recreate in Kubernetes).
    mkdir -p /app/var/beat
    exec celery -A config beat --loglevel="${LOG_LEVEL:-INFO}" \
      --schedule=/app/var/beat/celerybeat-schedule "$@"
    ;;
  migrate)
    shift
    # 1. the public schema; 2. the template schema new tenants are cloned from (what
    # `manage.py setup` does, without its serial pass over every tenant) and the platform row,
    # then a worker is asked to refill the tenant schema pool from the new template;
    # 3. every tenant in parallel (the standard executor costs ~0.25 s per tenant even with
    # nothing to do). Run it as a one-shot job before rolling out web/worker/beat: /readyz
    # stays 503 on new pods until the public schema is migrated. All of it as the owner role
    # (DATABASE_OWNER_URL; docs/security.md#database-roles).
    export COUNTERSIGN_DB_ROLE=owner
    python manage.py migrate_schemas --shared --noinput
    python manage.py shell --no-imports -c \
      "from apps.tenants.services import platform_ensure, schema_pool_refill_request, template_schema_ensure; template_schema_ensure(verbosity=1); platform_ensure(); schema_pool_refill_request()"
    exec python manage.py migrate_schemas --tenant --noinput --executor=multiprocessing "$@"
    ;;
  manage)
    shift
    exec python manage.py "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
