"""CI and deploy workflows: pinned actions, timeouts, least privilege, tests before deploy."""

from __future__ import annotations

import re

import pytest

from tests.deploy import files

NAMES = ["ci.yml", "deploy.yml"]
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40} # v?\d+(\.\d+)*\s*$")


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_by_commit_with_its_version(name: str) -> None:
    for line in (files.WORKFLOWS / name).read_text().splitlines():
        if re.match(r"^\s*(-\s+)?uses:", line) and "uses: ./" not in line:
            assert PINNED.match(line), (
                f"{name}: not pinned by full SHA with a version: {line.strip()}"
            )


@pytest.mark.parametrize("name", NAMES)
def test_jobs_have_timeouts_and_read_only_tokens(name: str) -> None:
    flow = files.workflow(name)
    assert flow["permissions"] == {"contents": "read"}
    for job_name, job in flow["jobs"].items():
        if "uses" in job:  # a called workflow: its own jobs carry the timeouts
            continue
        assert isinstance(job.get("timeout-minutes"), int), f"{name}: job {job_name} has no timeout"


def test_ci_runs_the_test_command_against_postgres_and_redis_services() -> None:
    flow = files.workflow("ci.yml")
    assert "workflow_call" in files.triggers(flow)
    (job,) = flow["jobs"].values()
    assert set(job["services"]) == {"postgres", "redis"}
    assert "@postgres:5432/" in job["env"]["QTIME_TEST_POSTGRES_URL"]
    assert job["env"]["QTIME_TEST_REDIS_URL"].startswith("redis://redis:6379/")
    assert [s["run"] for s in job["steps"] if "run" in s] == ["scripts/test"]
    assert job["container"] == files.dockerfile().parent_images[0], "CI and image share Python"


def test_a_push_to_main_is_tested_then_deployed() -> None:
    flow = files.workflow("deploy.yml")
    assert set(files.triggers(flow)["push"]["branches"]) == {"main", "master"}
    jobs = flow["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml"
    deploy = jobs["deploy"]
    assert deploy["needs"] == "test"
    (step,) = [s for s in deploy["steps"] if "run" in s]
    assert step["run"] == "flyctl deploy --remote-only"
    assert step["env"]["FLY_API_TOKEN"] == "${{ secrets.FLY_API_TOKEN }}"
    assert any(
        "superfly/flyctl-actions/setup-flyctl@" in s.get("uses", "") for s in deploy["steps"]
    )
