"""Dependencies point inward: the core imports only the standard library; import-linter
checks the layer contracts declared in pyproject.toml."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_core_imports_only_the_standard_library() -> None:
    offenders = {}
    for path in (ROOT / "skill" / "core").rglob("*.py"):
        bad = {
            m
            for m in _imports(path)
            if m.split(".")[0] not in sys.stdlib_module_names and not m.startswith("skill.core")
        }
        if bad:
            offenders[path.name] = bad
    assert not offenders


def test_nothing_heavy_is_imported_by_the_core_at_runtime() -> None:
    code = (
        "import sys, skill.core, skill.core.codec; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3','botocore','ask_sdk_core','ask_sdk_model','flask')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "broken" not in out.stdout.lower() or "0 broken" in out.stdout.lower()


def test_ruff_finds_nothing() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run([str(ruff), "check", "skill", "tests", "lambda"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_core_type_checks_strictly() -> None:
    out = subprocess.run([sys.executable, "-m", "mypy", "skill/core"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
