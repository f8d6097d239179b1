"""Configuration helpers, the clear database error, and the embedded servers' lifecycle."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("0", False), ("Yes", True), ("off", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("CS_FLAG", value)
    assert env_bool("CS_FLAG") is expected


def test_env_helpers_fail_loudly_on_bad_values(monkeypatch):
    monkeypatch.setenv("CS_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="CS_FLAG='ture' is not a boolean"):
        env_bool("CS_FLAG")
    monkeypatch.setenv("CS_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="CS_NUMBER='ten' is not a whole number"):
        env_int("CS_NUMBER")
    monkeypatch.setenv("CS_NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 0"):
        env_int("CS_NUMBER", minimum=0)
    monkeypatch.delenv("CS_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Set the environment variable CS_MISSING"):
        env_int("CS_MISSING")
    monkeypatch.setenv("CS_LIST", "a, b,,c")
    assert env_list("CS_LIST") == ["a", "b", "c"]


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Set the environment variable SECRET_KEY" in result.stderr


def test_unreachable_database_url_gives_one_clear_sentence():
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere"}
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--shared"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Cannot reach the database configured by DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_embedded_servers_start_stop_and_keep_their_data():
    """A separate var/ folder: start both servers, write, stop, start again, read, stop."""
    with tempfile.TemporaryDirectory(prefix="cs-", dir="/tmp") as var_dir:
        env = {**os.environ, "COUNTERSIGN_VAR_DIR": var_dir}
        script = (
            "import sys, psycopg, redis\n"
            "from config import embedded as e\n"
            "pg = e.postgres_socket_dir()\n"
            "r = redis.Redis(unix_socket_path=str(e.redis_socket()))\n"
            "with psycopg.connect(host=str(pg), dbname=e.DATABASE_NAME, user='postgres',"
            " autocommit=True) as c:\n"
            "    if sys.argv[1] == 'write':\n"
            "        c.execute('CREATE TABLE kept (v text)')\n"
            "        c.execute(\"INSERT INTO kept VALUES ('x')\")\n"
            "        r.set('kept', 'y'); r.save()\n"
            "    else:\n"
            "        print(c.execute('SELECT v FROM kept').fetchone()[0], r.get('kept').decode())\n"
        )

        def run(*args):
            return subprocess.run(
                [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                timeout=120, check=True,
            ).stdout  # fmt: skip

        try:
            run("-c", script, "write")
            assert "PostgreSQL: stopped" in run("-m", "config.embedded", "stop")
            assert "stopped" in run("-m", "config.embedded", "status")
            assert run("-c", script, "read").split() == ["x", "y"]
        finally:
            run("-m", "config.embedded", "stop")
