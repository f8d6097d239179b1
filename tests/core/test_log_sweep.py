"""The suite's log sweep (tests/fixtures/log_sweep.py) finds a planted token and fails a run."""

import logging

from apps.core.redaction import REDACTED, leaks_in
from apps.notifications import tokens
from tests.fixtures import log_sweep


def test_leaks_in_finds_each_planted_secret():
    token = tokens.new_token()
    lines = [
        "INFO django.server GET /requests/ 200",
        f"WARNING django.request Forbidden: /a/{token}",
        f"INFO django.server GET /login/?next=/a/{REDACTED} 200",
        "ERROR x key cs_live_0123456789ab_" + "k" * 43,
        "ERROR x secret whsec_" + "w" * 43,
    ]
    assert leaks_in(lines) == [lines[1], lines[3], lines[4]]


def test_the_sweep_reads_what_its_handler_wrote(tmp_path):
    handler = log_sweep.SweepHandler(tmp_path / "log.txt")
    token = tokens.new_token()
    # A record made without the redacting factory, as a handler outside LOGGING would see it.
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "link /a/%s", (token,), None)
    handler.emit(record)
    handler.close()
    assert leaks_in(log_sweep.lines_of(tmp_path / "log.txt")) == [f"DEBUG x link /a/{token}\n"]


def test_a_run_that_logs_a_token_fails(pytester, monkeypatch):
    """An inner pytest run with only the sweep plugin: a test that passes but logs a token
    makes the run fail, and the line is printed."""
    root = str(log_sweep.ROOT)
    monkeypatch.setenv("PYTHONPATH", root)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setenv(log_sweep.DIR_VARIABLE, str(pytester.path))
    pytester.makepyfile(
        test_leaky="""
        import logging

        def test_passes_but_logs_a_token():
            logging.getLogger("leaky").debug("see /a/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
        """
    )
    args = ["-p", "tests.fixtures.log_sweep", "-p", "no:django", "-p", "no:cacheprovider"]
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*Secrets in the logs of this run (1 lines*", "*leaky see /a/abc*"]
    )
    result = pytester.runpytest_subprocess(*args, "-k", "nothing")  # no test, no leak
    assert result.ret == 5
