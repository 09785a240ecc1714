"""Every secret the settings hold is documented, and none is baked into a deploy file."""

from __future__ import annotations

import re
import typing
from urllib.parse import urlsplit

import pytest
from pydantic import BaseModel, SecretStr

from core.settings import Settings
from tests.deploy import files

# Not SecretStr (they are parsed), but production needs them and they carry passwords.
CONNECTION_URLS = {"QTIME_DATABASE__URL", "QTIME_REDIS__URL"}


def setting_names(model: type[BaseModel] = Settings, prefix: str = "QTIME_") -> dict[str, object]:
    """Every environment variable the settings read, with its annotation."""
    found: dict[str, object] = {}
    for name, field in model.model_fields.items():
        env = f"{prefix}{name.upper()}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= setting_names(annotation, f"{env}__")
        else:
            found[env] = annotation
    return found


def secrets() -> set[str]:
    names = {
        env
        for env, annotation in setting_names().items()
        if annotation is SecretStr or SecretStr in typing.get_args(annotation)
    }
    return names | CONNECTION_URLS


def test_the_settings_have_the_expected_secrets() -> None:
    assert set(setting_names()) >= CONNECTION_URLS, "a connection URL setting was renamed"
    assert {
        "QTIME_TELEGRAM__TOKEN",
        "QTIME_TELEGRAM__WEBHOOK_SECRET",
        "QTIME_AI__API_KEY",
    } <= secrets()


@pytest.mark.parametrize("name", sorted(secrets()))
def test_secret_is_documented_everywhere(name: str) -> None:
    deploy = files.readme_section("Deploy")
    assert re.search(rf"^\| `{name}` \|", deploy, re.M), (
        f"README's Deploy secrets table lacks {name}"
    )
    assert f"{name}=" in (files.ROOT / ".env.example").read_text(), f".env.example lacks {name}"
    fly_comments = "\n".join(
        line for line in (files.ROOT / "fly.toml").read_text().splitlines() if line.startswith("#")
    )
    assert f"{name}=" in fly_comments, f"fly.toml's `fly secrets set` note lacks {name}"


@pytest.mark.parametrize("name", sorted(secrets()))
def test_secret_is_never_baked_into_the_image_or_config(name: str) -> None:
    assert name not in files.fly()["env"]
    assert name not in files.dockerfile().envs
    for service, spec in files.our_services().items():
        value = str(spec.get("environment", {}).get(name, ""))
        if name in CONNECTION_URLS:  # a URL may be fixed, its password may not
            password = urlsplit(value).password
            assert password is None or password.startswith("${"), f"compose {service}: {name}"
        else:
            assert not value or value.startswith("${"), f"compose {service} hard-codes {name}"


def test_every_variable_in_fly_env_is_a_setting() -> None:
    assert set(files.fly()["env"]) <= set(setting_names())
