"""The image installs the runtime dependencies with the lock as constraints: the lock must
pin every package of that closure, at a version the project's requirements accept."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy import files


def locked() -> dict[str, Version]:
    text = (files.ROOT / "requirements.lock").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)$", text, re.M)
    return {canonicalize_name(name): Version(version) for name, version in pins}


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((files.ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in project["dependencies"]]


def applies(requirement: Requirement, extras: set[str]) -> bool:
    marker = requirement.marker
    return marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""})


def test_the_lock_satisfies_every_runtime_requirement() -> None:
    pins = locked()
    for requirement in runtime_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: recompile it"
        assert pins[name] in requirement.specifier, (
            f"the lock's {name} {pins[name]} breaks {requirement}"
        )


def test_the_lock_pins_the_whole_runtime_closure() -> None:
    pins = locked()
    todo = runtime_requirements()
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} (needed at run time) is not pinned: the image build floats"
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        for spec in metadata.requires(name) or []:
            needed = Requirement(spec)
            if applies(needed, requirement.extras):
                todo.append(needed)
    assert ("hiredis", frozenset()) in seen, "extras are followed"
