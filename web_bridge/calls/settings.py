"""Settings of the official call system: where calls go, the shared secret, retry policy.

Read them with ``CallSystemSettings.from_env()`` (``SUWON_CALLS_*`` variables) or build them
directly. A missing or well-known secret is refused unless ``development`` is set, so a
forgotten configuration cannot open the signed callback route to anyone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Self

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, model_validator

from suwon_web_bridge.calls.model import Channel

# Values people paste from examples; never acceptable outside development.
DEFAULT_SECRETS = frozenset({"", "secret", "changeme", "change-me", "default", "dev",
                             "development", "test", "password", "suwon"})
MIN_SECRET_LENGTH = 16
ENV_PREFIX = "SUWON_CALLS_"


class CallSystemSettings(BaseModel):
    """Configuration of delivery, callbacks and the embedded call board."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: AnyHttpUrl | None = Field(
        None, description="City call system endpoint (POST calls here); None → embedded board")
    shared_secret: SecretStr = Field(
        SecretStr(""), description="HMAC-SHA256 key shared with the City call system")
    development: bool = Field(False, description="allow empty/default secrets (never in prod)")
    timeout_s: float = Field(5.0, gt=0, le=120, description="per HTTP request")
    max_attempts: int = Field(10, ge=1, le=1000, description="delivery attempts before failed")
    backoff_base_s: float = Field(1.0, gt=0, le=3600)
    backoff_cap_s: float = Field(60.0, gt=0, le=86400)
    breaker_threshold: int = Field(5, ge=1, le=1000, description="consecutive failures → open")
    breaker_cooldown_s: float = Field(30.0, gt=0, le=3600, description="open → half-open")
    callback_tolerance_s: float = Field(300.0, gt=0, le=3600,
                                        description="replay window for signed callbacks")
    board_tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description="site_id → call-board token (X-Board-Token)")
    board_sites: frozenset[str] = Field(
        frozenset(), description="sites that use the embedded board even when url is set")
    max_body_bytes: int = Field(16_384, ge=1024, le=1_048_576)
    worker_poll_s: float = Field(1.0, gt=0, le=60, description="outbox idle re-check")
    worker_concurrency: int = Field(4, ge=1, le=64)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.backoff_cap_s < self.backoff_base_s:
            raise ValueError("backoff_cap_s must be ≥ backoff_base_s")
        if not self.development:
            secret = self.shared_secret.get_secret_value()
            if secret.strip().lower() in DEFAULT_SECRETS or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"shared_secret is empty, a default, or shorter than {MIN_SECRET_LENGTH} "
                    "characters (set SUWON_CALLS_SHARED_SECRET, or development=true)")
            for site, token in self.board_tokens.items():
                value = token.get_secret_value()
                if value.strip().lower() in DEFAULT_SECRETS or len(value) < MIN_SECRET_LENGTH:
                    raise ValueError(f"board token of site {site!r} is empty, a default, or "
                                     f"shorter than {MIN_SECRET_LENGTH} characters")
        tokens = [t.get_secret_value() for t in self.board_tokens.values()]
        # The token alone identifies the board's site, so two sites cannot share one.
        if len(set(tokens)) != len(tokens):
            raise ValueError("board tokens must differ between sites")
        return self

    def channel_for(self, site_id: str) -> Channel:
        """Where calls of ``site_id`` go."""
        if self.url is None or site_id in self.board_sites:
            return Channel.BOARD
        return Channel.CITY

    def backoff_s(self, attempt: int, jitter: float) -> float:
        """Delay after the ``attempt``-th failure: exponential, capped, full jitter in
        [50 %, 100 %] so robots that failed together do not retry together."""
        delay = min(self.backoff_cap_s, self.backoff_base_s * 2 ** max(0, attempt - 1))
        return delay * (0.5 + 0.5 * jitter)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CallSystemSettings:
        """Read ``SUWON_CALLS_*`` variables: URL, SHARED_SECRET, DEVELOPMENT, TIMEOUT_S,
        MAX_ATTEMPTS, BACKOFF_BASE_S, BACKOFF_CAP_S, BREAKER_THRESHOLD, BREAKER_COOLDOWN_S,
        CALLBACK_TOLERANCE_S, BOARD_TOKENS (JSON object site → token), BOARD_SITES (comma
        separated), MAX_BODY_BYTES, WORKER_POLL_S, WORKER_CONCURRENCY."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is None or raw == "":
                continue
            if name == "board_tokens":
                values[name] = json.loads(raw)
            elif name == "board_sites":
                values[name] = frozenset(s.strip() for s in raw.split(",") if s.strip())
            elif name == "development":
                values[name] = raw.strip().lower() in {"1", "true", "yes", "on"}
            else:
                values[name] = raw
        return cls.model_validate(values)
