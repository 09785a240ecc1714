"""The deployment files, parsed, and the command lines they make the image run."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
OUR_IMAGE = "qtime:local"


@cache
def fly() -> dict[str, Any]:
    return tomllib.loads((ROOT / "fly.toml").read_text())


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


@cache
def workflow(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return loaded


def triggers(flow: dict[Any, Any]) -> dict[str, Any]:
    """YAML 1.1 reads the key `on` as True."""
    found: dict[str, Any] = flow["on"] if "on" in flow else flow[True]
    return found


def dockerfile() -> DockerfileParser:
    return DockerfileParser(path=str(ROOT / "Dockerfile"))


def instructions(name: str) -> list[str]:
    """The values of every `name` instruction, in order, across all stages."""
    return [i["value"] for i in dockerfile().structure if i["instruction"] == name]


def final_stage(name: str) -> list[str]:
    structure = dockerfile().structure
    last_from = max(n for n, i in enumerate(structure) if i["instruction"] == "FROM")
    return [i["value"] for i in structure[last_from:] if i["instruction"] == name]


def exec_form(name: str) -> list[str]:
    """The last ENTRYPOINT or CMD, which must be in exec (JSON) form."""
    found: list[str] = json.loads(final_stage(name)[-1])
    return found


def image_argv(command: str | list[str] | None, entrypoint: list[str] | None = None) -> list[str]:
    """What a container of our image runs: the ENTRYPOINT, then the command or the CMD.

    Fly's process groups and release command, like compose's `command:`, replace only the CMD.
    """
    if entrypoint is not None:
        return entrypoint + (shlex.split(command) if isinstance(command, str) else command or [])
    if command is None:
        args = exec_form("CMD")
    elif isinstance(command, str):
        args = shlex.split(command)
    else:
        args = command
    return exec_form("ENTRYPOINT") + args


def our_services() -> dict[str, dict[str, Any]]:
    """The compose services that run our image (the others are PostgreSQL and Redis)."""
    services: dict[str, dict[str, Any]] = compose()["services"]
    return {n: s for n, s in services.items() if s.get("image") == OUR_IMAGE or "build" in s}


def healthcheck_argv(test: list[str]) -> list[str]:
    """A compose or Docker healthcheck test (`CMD`, args...) as an argv."""
    assert test[0] == "CMD", f"exec-form healthcheck expected, got {test}"
    return test[1:]


def dockerfile_healthcheck() -> list[str]:
    value = final_stage("HEALTHCHECK")[-1]
    match = re.search(r"\bCMD\s+(\[.*\])\s*$", value, re.S)
    assert match, f"HEALTHCHECK is not in exec form: {value}"
    found: list[str] = json.loads(match.group(1))
    return found


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]
