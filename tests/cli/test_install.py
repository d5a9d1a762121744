"""Installing Tidings to run it: ``scripts/serve`` (run-time packages only, reused when
nothing changed) and a wheel built from the checkout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = (
    "pytest",
    "mypy",
    "playwright",
    "schemathesis",
    "django",
    "flask",
    "ruff",
    "hypothesis",
)


def _pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock.read_text(), re.MULTILINE)
    return {name.lower(): version for name, version in found}


def test_the_serve_lock_holds_no_test_tool_and_the_same_pins_as_the_full_lock() -> None:
    serve, full = _pins(ROOT / "requirements-serve.lock"), _pins(ROOT / "requirements.lock")
    assert {"starlette", "uvicorn", "sqlalchemy", "psycopg", "redis"} <= set(serve)
    assert [name for name in serve if name.startswith(TEST_TOOLS)] == []
    # The analytics tier hands rows to DuckDB as Arrow tables: pyarrow is run time now.
    assert {"duckdb", "pyarrow", "ua-parser"} <= set(serve)
    assert {name: v for name, v in serve.items() if full.get(name) != v} == {}


def test_scripts_serve_needs_no_root_and_installs_no_test_tool() -> None:
    script = (ROOT / "scripts" / "serve").read_text()
    commands = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    for word in (
        "sudo",
        "apt-get",
        "npm",
        "--extra dev",
        "scripts/install",
        "-r requirements.lock",
    ):
        assert word not in commands, word


def _fake_venv(venv: Path, calls: Path) -> None:
    """A venv whose python and tidings only record how they were called."""
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(
        "#!/bin/sh\n"
        f'echo "python $*" >> {calls}\n'
        'if [ "$1" = "-c" ]; then echo 3.11.test; fi\n'
        f'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then printf "#!/bin/sh\\n" > {venv}/bin/tidings; '
        f"chmod +x {venv}/bin/tidings; fi\n"
    )
    python.chmod(0o755)


def _serve(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIDINGS_SERVE_VENV": str(venv), "TIDINGS_SERVE_EXTRAS": ""}
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "serve"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_scripts_serve_runs_pip_only_when_what_it_installs_changed(tmp_path: Path) -> None:
    venv, calls = tmp_path / "venv", tmp_path / "calls.log"
    _fake_venv(venv, calls)
    first = _serve(venv, "--port", "9000")
    assert first.returncode == 0, first.stderr
    installs = calls.read_text()
    assert "-r requirements-serve.lock" in installs and "-e ." in installs
    assert "apt" not in installs and "--extra dev" not in installs
    calls.write_text("")
    again = _serve(venv, "--port", "9000")
    assert again.returncode == 0, again.stderr
    # The second start only asks the interpreter its version: no pip run at all.
    assert "pip" not in calls.read_text()
    (venv / ".tidings-installed").write_text("stale\n")
    _serve(venv)
    assert "-r requirements-serve.lock" in calls.read_text()


def test_a_wheel_built_from_the_checkout_holds_the_data_files_and_runs(tmp_path: Path) -> None:
    # Built from a copy: pip builds in the source tree, and other tests read the checkout.
    tree = tmp_path / "tree"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", tree / "src", ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    wheel_args = ["wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(tree)]
    built = subprocess.run(
        [sys.executable, "-m", "pip", *wheel_args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("tidings-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    for wanted in (
        "tidings/http/templates/",
        "tidings/http/static/",
        "tidings/storage/migrations/versions/",
        "tidings/storage/migrations/script.py.mako",
    ):
        assert any(n.startswith(wanted) for n in names), wanted
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tidings = tidings.cli:main" in (tmp_path / "site" / entry).read_text()
    # The wheel's own files, not the checkout's, with the dependencies of this interpreter.
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    shown = subprocess.run(
        [sys.executable, "-m", "tidings", "serve", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "--data-dir DIR" in shown.stdout
    where = subprocess.run(
        [sys.executable, "-c", "import tidings.http; print(tidings.http.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(tmp_path / "site"))
