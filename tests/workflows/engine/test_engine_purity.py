"""The engine stays pure: no Django, nothing from `apps.` outside the engine package."""

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[3] / "apps" / "workflows" / "engine"


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_engine_source_imports_neither_django_nor_other_apps():
    offenders = [
        f"{path.name}: {name}"
        for path in sorted(ENGINE.glob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in ("django", "rest_framework")
        or (name.startswith("apps") and not name.startswith("apps.workflows.engine"))
    ]
    assert offenders == []


def test_importing_the_engine_loads_no_django():
    code = (
        "import sys, apps.workflows.engine as e; e.parse_spec; "
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ENGINE.parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_starts_with_a_docstring_and_stays_small():
    for path in ENGINE.glob("*.py"):
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), path.name
        assert len(path.read_text().splitlines()) < 550, path.name
