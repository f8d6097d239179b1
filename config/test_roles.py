"""The database roles of the test suite on a server given by ``DATABASE_URL``.

The suite runs with the application role's rights and sets its database up as the owner
(docs/security.md#database-roles). With ``DATABASE_OWNER_URL`` set too, those two URLs are used
as they are. With ``DATABASE_URL`` alone and a role that may create roles (a superuser, as on
most development machines), the same three roles as on the embedded server are created there
once -- ``countersign_owner``, ``countersign_app`` and ``countersign_app_test`` -- with a password
kept in ``var/test-db-roles`` (so password authentication works too). Imported by the test
settings only.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from config import embedded


def _password(var_dir: Path) -> str:
    path = var_dir / "test-db-roles"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def suite_roles(database: Mapping[str, Any], var_dir: Path) -> dict[str, str] | None:
    """Create (or refresh) the test roles on the server of `database` (a parsed DATABASE_URL)
    and return {"owner", "app", "test", "password"}; None when that role may not create roles,
    in which case the URLs are used as given."""
    import psycopg
    from psycopg import sql

    params: dict[str, Any] = {
        "dbname": database.get("NAME") or "postgres",
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        "connect_timeout": 5,
    }
    try:
        conn = psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)
    except psycopg.OperationalError:
        return None  # unreachable: the suite reports it with the usual message
    password = _password(var_dir)
    with conn:
        row = conn.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        if not (row and row[0]):
            return None
        existing = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
        for role, options in (
            (embedded.OWNER_ROLE, "LOGIN CREATEDB NOSUPERUSER NOCREATEROLE"),
            (embedded.APP_ROLE, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"),
            (embedded.TEST_ROLE, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"),
        ):
            verb = "ALTER" if role in existing else "CREATE"
            conn.execute(
                sql.SQL(verb + " ROLE {} " + options + " PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        embedded.test_role_grants(conn)
    return {
        "owner": embedded.OWNER_ROLE,
        "app": embedded.APP_ROLE,
        "test": embedded.TEST_ROLE,
        "password": password,
    }


def suite_database_adopt(database: Mapping[str, Any], name: str) -> None:
    """Give a test database left by an earlier run to the owner role, so it may drop it."""
    import psycopg
    from psycopg import sql

    params: dict[str, Any] = {
        "dbname": "postgres",
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if owner and owner[0] != embedded.OWNER_ROLE:
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(name), sql.Identifier(embedded.OWNER_ROLE)
                )
            )
