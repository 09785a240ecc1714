"""hadolint on the Dockerfile and actionlint (with shellcheck) on the workflows.

All three come from wheels pinned in the lock, so they sit next to this Python.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.deploy import files

BIN = Path(sys.executable).parent


def lint(*argv: str) -> subprocess.CompletedProcess[str]:
    tool = BIN / argv[0]
    assert tool.exists(), f"{argv[0]} is not installed: run scripts/install"
    # actionlint checks `run:` scripts only when it finds shellcheck on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(tool), *argv[1:]], cwd=files.ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = lint("hadolint", "--failure-threshold", "info", "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_passes_on_the_workflows() -> None:
    assert (BIN / "shellcheck").exists(), "shellcheck is not installed: run scripts/install"
    # Named explicitly: without them actionlint needs a .git, which a CI tarball checkout lacks.
    flows = sorted(str(f.relative_to(files.ROOT)) for f in files.WORKFLOWS.glob("*.y*ml"))
    result = lint("actionlint", "-verbose", *flows)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stderr
    checked = {
        line.split(" for ")[-1]
        for line in result.stderr.splitlines()
        if "errors in" in line and " for " in line
    }
    assert {f".github/workflows/{n}" for n in ("ci.yml", "deploy.yml")} <= checked
