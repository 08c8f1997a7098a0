"""Where the executables that caseflow's PyPI dependencies install are (temporal,
temporal-test-server, schemathesis).

`./bootstrap` installs caseflow into `.venv`, and the README runs `.venv/bin/caseflow dev` and
`.venv/bin/python -m pytest` without activating the environment, so `.venv/bin` is not on PATH:
look next to the running interpreter first, then in its scripts directory, then on PATH.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path


def installed_binary(name: str) -> str | None:
    """The path of executable `name` installed with this interpreter's packages, else the
    one on PATH, else None."""
    # Not resolved: a virtual environment's python is a symlink to the base interpreter, and
    # the environment's scripts sit beside the link, not beside its target.
    candidates = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))]
    for folder in candidates:
        path = folder / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which(name)
