"""Every command the deployment files run is a real `qtime` subcommand, on the right port;
and what a started command tells its operator."""

from __future__ import annotations

import asyncio
import json
import re
import tomllib
from pathlib import Path

import httpx
import pytest

from core.settings import APISettings
from qtime.cli import COMMANDS, parser
from tests.deploy import files
from tests.deploy.processes import Qtime, Running, free_port
from tests.fakes.telegram import FakeTelegram

DEFAULT_PORT = APISettings.model_fields["port"].default


def assert_qtime(argv: list[str], where: str) -> str:
    assert argv[0] == "qtime", f"{where} runs {argv}, not qtime"
    try:
        parsed = parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"{where} runs `{' '.join(argv)}`, which qtime does not accept")
    command: str = parsed.command
    assert command in COMMANDS
    return command


def test_the_image_runs_the_api_by_default() -> None:
    assert assert_qtime(files.image_argv(None), "the Dockerfile's CMD") == "api"


def test_fly_process_groups_run_the_api_and_the_worker() -> None:
    processes = files.fly()["processes"]
    ran = {
        name: assert_qtime(files.image_argv(cmd), f"fly process {name}")
        for name, cmd in processes.items()
    }
    assert ran == {"app": "api", "worker": "worker"}


def test_fly_migrates_before_each_release() -> None:
    release = files.fly()["deploy"]["release_command"]
    assert assert_qtime(files.image_argv(release), "fly's release_command") == "migrate"


def test_compose_runs_migrate_once_then_api_bot_and_worker() -> None:
    services = files.our_services()
    ran = {
        name: assert_qtime(
            files.image_argv(s.get("command"), s.get("entrypoint")), f"compose {name}"
        )
        for name, s in services.items()
    }
    assert ran == {"migrate": "migrate", "app": "api", "bot": "bot", "worker": "worker"}
    assert services["migrate"]["restart"] == "no"
    for name in ("app", "bot", "worker"):
        waits_for = services[name]["depends_on"]
        assert waits_for["migrate"]["condition"] == "service_completed_successfully"
        assert waits_for["postgres"]["condition"] == "service_healthy"
        assert waits_for["redis"]["condition"] == "service_healthy"


def test_the_api_port_is_the_settings_default_everywhere() -> None:
    config = files.fly()
    assert config["http_service"]["internal_port"] == DEFAULT_PORT
    assert config["http_service"]["processes"] == ["app"]
    assert int(config["env"]["QTIME_API__PORT"]) == DEFAULT_PORT
    assert files.final_stage("EXPOSE") == [str(DEFAULT_PORT)]
    assert files.dockerfile().envs["QTIME_API__PORT"] == str(DEFAULT_PORT)
    app = files.our_services()["app"]
    assert int(app["environment"]["QTIME_API__PORT"]) == DEFAULT_PORT
    assert [p.rsplit(":", 1)[1] for p in app["ports"]] == [str(DEFAULT_PORT)]


def test_containers_listen_on_every_interface() -> None:
    """The settings default to 127.0.0.1, which nothing outside a container can reach."""
    assert files.dockerfile().envs["QTIME_API__HOST"] == "0.0.0.0"
    assert files.fly()["env"]["QTIME_API__HOST"] == "0.0.0.0"
    assert files.our_services()["app"]["environment"]["QTIME_API__HOST"] == "0.0.0.0"


def test_health_is_checked_on_healthz_without_curl() -> None:
    checks = files.fly()["http_service"]["checks"]
    assert [c["path"] for c in checks] == ["/healthz"]
    image_check = files.dockerfile_healthcheck()
    assert image_check[0] == "python" and "/healthz" in image_check[-1]
    compose_check = files.healthcheck_argv(files.our_services()["app"]["healthcheck"]["test"])
    assert compose_check[0] == "python"
    assert f"127.0.0.1:{DEFAULT_PORT}/healthz" in compose_check[-1]


def test_fly_env_holds_valid_settings_and_webhook_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import TelegramMode, load_settings

    env = files.fly()["env"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FLY_APP_NAME", "my-qtime")  # what Fly sets on each Machine
    loaded = load_settings(_env_file=None)
    assert loaded.telegram.mode is TelegramMode.webhook
    assert loaded.api.port == DEFAULT_PORT
    assert loaded.api.public_url == "https://my-qtime.fly.dev"
    monkeypatch.setenv("QTIME_API__PUBLIC_URL", "https://focus.example.org")  # a custom domain
    assert load_settings(_env_file=None).api.public_url == "https://focus.example.org"


def test_the_image_is_slim_pinned_multi_stage_and_not_root() -> None:
    bases = files.dockerfile().parent_images
    assert len(bases) >= 2, "multi-stage: a build stage and a runtime stage"
    assert len(set(bases)) == 1, f"build and runtime stages differ: {bases}"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", bases[0])
    user = files.final_stage("USER")
    assert user and user[-1].split(":")[0] not in {"root", "0"}


def test_the_image_installs_from_the_lock() -> None:
    runs = " ".join(files.instructions("RUN"))
    assert "--constraint requirements.lock" in runs
    assert "--no-deps" in runs


def test_the_build_context_holds_exactly_what_the_image_copies() -> None:
    """An allow-list .dockerignore: secrets and local data never reach the builder."""
    copied = set()
    for value in files.instructions("COPY"):
        if value.startswith("--from="):
            continue
        copied.update(value.split()[:-1])
    lines = [
        line
        for line in (files.ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == copied
    packages = tomllib.loads((files.ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    assert {p.rstrip("*") for p in packages} <= copied, "a package the wheel needs is not copied"


async def _line_with(running: Running, text: str, timeout: float = 60.0) -> str:
    """The first line of the process's log holding `text`, waiting for it to be written."""
    for _ in range(int(timeout * 10)):
        found = [line for line in running.output().splitlines() if text in line]
        if found:
            return found[0]
        if running.process.returncode is not None:
            break
        await asyncio.sleep(0.1)
    raise AssertionError(f"no line with {text!r}:\n{running.output()}")


async def test_up_says_it_is_up_once_everything_answers_and_idles_at_debug_only(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    port = free_port()
    data = tmp_path / "data"
    qtime = Qtime(
        env={
            "QTIME_DATA_DIR": str(data),
            "QTIME_TELEGRAM__TOKEN": fake_telegram.token,
            "QTIME_TELEGRAM__API_URL": fake_telegram.url,
            "QTIME_API__PORT": str(port),
            "QTIME_LOG_FORMAT": "json",
            "QTIME_LOG_LEVEL": "DEBUG",  # to see the routine lines, and at which level
        },
        cwd=tmp_path,
    )
    async with qtime.serving("up") as running:
        await _line_with(running, "Quality Time is up")
        async with httpx.AsyncClient(timeout=2.0) as client:  # no retry: it must answer now
            assert (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        assert fake_telegram.calls_of("setMyCommands"), "the bot had started"
        await _line_with(running, "← cron:reconcile_sessions")  # the crons run at start-up
        assert await running.stop() == 0
    lines = [json.loads(line) for line in running.output().splitlines()]
    messages = [line["message"] for line in lines]
    up = next(i for i, m in enumerate(messages) if m.startswith("Quality Time is up"))
    assert any(m.startswith("Starting worker") for m in messages[:up])
    assert any(m.startswith("Uvicorn running") for m in messages[:up])
    where = next(line for line in lines if line["message"] == "where the data lives")
    assert (where["data_dir"], where["database"]) == (str(data), str(data / "qtime.db"))
    routine = [line for line in lines if re.search(r"[→←] cron:reconcile", line["message"])]
    routine += [line for line in lines if line["message"].startswith("shutdown on SIGUSR1")]
    assert len(routine) >= 5, "two crons started and ended, and the worker's close"
    assert {line["level"] for line in routine} == {"DEBUG"}, routine


async def test_json_logs_keep_the_fields_of_a_worker_waiting_for_redis(tmp_path: Path) -> None:
    qtime = Qtime(
        env={
            "QTIME_DATA_DIR": str(tmp_path / "data"),
            "QTIME_REDIS__URL": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens
            "QTIME_TELEGRAM__TOKEN": "123456789:AAFakeTokenForTheLogTest_0123456789",
            "QTIME_LOG_FORMAT": "json",
        },
        cwd=tmp_path,
    )
    async with qtime.serving("worker") as running:
        line = json.loads(await _line_with(running, "Redis unavailable"))
        assert await running.stop() == 0
    assert line["message"] == "Redis unavailable; trying again"
    assert line["error"] == "ConnectionError"
    assert line["level"] == "WARNING" and line["logger"] == "jobs.wakeup"
    assert all(json.loads(text) for text in running.output().splitlines())
