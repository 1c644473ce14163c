"""The bridge's own settings: security and storage. Read from the environment, checked at
start-up, and refused when unsafe outside development.

  SUWON_BRIDGE_MODE            development (default) | production
  SUWON_BRIDGE_SECRET          JWT signing key; required (>= 32 characters) in production.
                               In development a random one is made once and kept in
                               var/web_bridge.secret, so logins survive a restart.
  SUWON_BRIDGE_TOKEN_MINUTES   access token lifetime (default 30)
  SUWON_BRIDGE_CORS_ORIGINS    comma-separated origins allowed to call the API from a
                               browser; empty (default) = same origin only
  SUWON_BRIDGE_ADMIN_PASSWORD  development only: the password of the 'admin' user created
                               when there is no user yet (default: random, printed once)
  SUWON_BRIDGE_DATABASE        SQLite file; default: the fleet's (policies.database), so
                               tasks, alerts, calls and users live in one database

rmf-web's default configuration silently runs without authentication; this bridge has no
such mode: every operator route needs a token, always.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from suwon_fleet.core import paths
from suwon_fleet.core.sites import Fleet

MIN_SECRET_LENGTH = 32
KNOWN_DEFAULT_SECRETS = {"", "secret", "changeme", "change-me", "development", "dev"}


class UnsafeSettings(ValueError):
    """The bridge would be insecure as configured; it refuses to start."""


class BridgeSettings(BaseModel):
    mode: Literal["development", "production"] = "development"
    secret_key: str = Field(repr=False)
    token_minutes: float = Field(30.0, gt=0, le=24 * 60)
    cors_origins: list[str] = Field(default_factory=list)
    database: str
    admin_password: str | None = Field(None, repr=False)
    login_attempts_per_minute: int = Field(10, gt=0)
    public_requests_per_minute: int = Field(600, gt=0)

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        if "*" in origins:
            raise UnsafeSettings("CORS origin '*' would let any web page drive the robots; "
                                 "list the dashboard origins instead")
        return origins

    @model_validator(mode="after")
    def _safe_outside_development(self) -> BridgeSettings:
        if self.mode == "production":
            if self.secret_key.strip().lower() in KNOWN_DEFAULT_SECRETS or \
                    len(self.secret_key) < MIN_SECRET_LENGTH:
                raise UnsafeSettings(
                    "SUWON_BRIDGE_SECRET must be set to a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters in production (e.g. `openssl rand -hex 32`)")
            if self.admin_password:
                raise UnsafeSettings("SUWON_BRIDGE_ADMIN_PASSWORD is for development only; "
                                     "create users with `suwon_users add` in production")
        return self

    @classmethod
    def from_env(cls, fleet: Fleet, environ: dict[str, str] | None = None) -> BridgeSettings:
        env = os.environ if environ is None else environ
        mode = env.get("SUWON_BRIDGE_MODE", "development")
        database = env.get("SUWON_BRIDGE_DATABASE") or resolve_database(fleet.policies.database)
        secret = env.get("SUWON_BRIDGE_SECRET", "")
        if not secret and mode == "development":
            secret = _development_secret(database)
        origins = [o.strip() for o in env.get("SUWON_BRIDGE_CORS_ORIGINS", "").split(",")
                   if o.strip()]
        return cls(mode=mode, secret_key=secret, database=database, cors_origins=origins,
                   token_minutes=float(env.get("SUWON_BRIDGE_TOKEN_MINUTES", "30")),
                   admin_password=env.get("SUWON_BRIDGE_ADMIN_PASSWORD") or None)


def resolve_database(path: str) -> str:
    if path == ":memory:" or Path(path).is_absolute():
        return path
    return str(paths.data_root() / path)


def _development_secret(database: str) -> str:
    """A random key kept beside the database (0600), made on first use."""
    folder = Path(database).parent if database != ":memory:" else paths.data_root() / "var"
    keyfile = folder / "web_bridge.secret"
    if keyfile.is_file():
        return keyfile.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key
