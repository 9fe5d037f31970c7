"""The proxy configuration: one YAML file (optional), validated strictly; the only reader of the environment.

Relative paths in a configuration file are resolved against that file's directory; the embedded
defaults point at the policies/ and models/ shipped beside the package and at a local data directory.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from proxy.config_file import ConfigFileError, load_model

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_MODEL = "demo"
DEMO_BASE_URL = "http://demo.gardefou.invalid/v1"


class Hosting(StrEnum):
    LOCAL = "local"
    SOVEREIGN = "sovereign"
    EU = "eu"
    NON_EU = "non_eu"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class UpstreamSettings(Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    base_url: HttpUrl
    api_key_env: str | None = None
    models: Annotated[tuple[str, ...], Field(min_length=1)]
    hosting: Hosting
    timeout_s: Annotated[float, Field(gt=0, le=3600)] = 120.0

    @property
    def is_demo(self) -> bool:
        return str(self.base_url).rstrip("/") == DEMO_BASE_URL


class AuthSettings(Strict):
    require_api_key: bool = True
    # Identity used when keys are not required (local trials only).
    anonymous_user: str = "anonyme"
    anonymous_service: str = "demo"


class DetectionSettings(Strict):
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 15.0
    max_threads: Annotated[int, Field(ge=1, le=64)] = 2


class Settings(Strict):
    data_dir: Path = Field(default_factory=lambda: Path(os.environ.get("GARDEFOU_DATA_DIR", "data")))
    policy: Path = PROJECT_ROOT / "policies" / "default.yaml"
    models_dir: Path = PROJECT_ROOT / "models"
    # YAML key `register` (BaseModel already has a `register` attribute)
    register_db: Path | None = Field(default=None, alias="register")
    keys: Path | None = None
    auth: AuthSettings = AuthSettings()
    detection: DetectionSettings = DetectionSettings()
    upstreams: tuple[UpstreamSettings, ...] = ()
    host: str = "127.0.0.1"
    # Set only by the embedded defaults (no configuration file): announced at start-up.
    demo_mode: bool = False
    port: Annotated[int, Field(ge=1, le=65535)] = 8080

    @field_validator("upstreams")
    @classmethod
    def _unique_models(cls, upstreams: tuple[UpstreamSettings, ...]) -> tuple[UpstreamSettings, ...]:
        seen: dict[str, str] = {}
        for upstream in upstreams:
            for model in upstream.models:
                if model in seen:
                    raise ValueError(
                        f"le modèle {model!r} est servi par {seen[model]!r} et {upstream.name!r}"
                    )
                seen[model] = upstream.name
        return upstreams

    @model_validator(mode="after")
    def _default_paths(self) -> Settings:
        # frozen model: fill derived defaults once, at validation time
        if self.register_db is None:
            object.__setattr__(self, "register_db", self.data_dir / "register.sqlite")
        if self.keys is None:
            object.__setattr__(self, "keys", self.data_dir / "keys.sqlite")
        if not self.upstreams:
            object.__setattr__(self, "upstreams", (demo_upstream(),))
        return self

    @property
    def register_path(self) -> Path:
        assert self.register_db is not None
        return self.register_db

    @property
    def keys_path(self) -> Path:
        assert self.keys is not None
        return self.keys

    def upstream_for(self, model: str) -> UpstreamSettings | None:
        return next((u for u in self.upstreams if model in u.models), None)


def demo_upstream() -> UpstreamSettings:
    return UpstreamSettings(
        name="demo", base_url=HttpUrl(DEMO_BASE_URL), models=(DEMO_MODEL,), hosting=Hosting.LOCAL
    )


def demo_settings() -> Settings:
    """Embedded defaults, for a first try: the demo model only, no API key asked, loopback only."""
    return Settings(auth=AuthSettings(require_api_key=False), demo_mode=True)


_PATH_KEYS = ("data_dir", "policy", "models_dir", "register_db", "keys")


def load_settings(path: Path | None = None) -> Settings:
    """Load the configuration file (or $GARDEFOU_CONFIG, or embedded defaults)."""
    if path is None and os.environ.get("GARDEFOU_CONFIG"):
        path = Path(os.environ["GARDEFOU_CONFIG"])
    if path is None:
        return demo_settings()
    settings, _ = load_model(path, Settings, empty_ok=True)
    return _resolve_paths(settings, path.resolve().parent)


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    updates = {}
    for key in _PATH_KEYS:
        value = getattr(settings, key)
        if key in settings.model_fields_set and not value.is_absolute():
            updates[key] = base / value
    if "data_dir" in updates:
        for derived, filename in (("register_db", "register.sqlite"), ("keys", "keys.sqlite")):
            if derived not in settings.model_fields_set:
                updates[derived] = updates["data_dir"] / filename
    return settings.model_copy(update=updates)


def upstream_api_key(upstream: UpstreamSettings) -> str | None:
    """The upstream's secret, read from the environment variable the configuration names."""
    if upstream.api_key_env is None:
        return None
    value = os.environ.get(upstream.api_key_env)
    if not value:
        raise ConfigFileError(
            f"La variable d'environnement {upstream.api_key_env} (clé de l'amont "
            f"{upstream.name!r}) est vide ou absente."
        )
    return value
