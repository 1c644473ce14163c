"""HMAC-SHA256 request signing shared by the bridge and the City call system.

The signature covers ``"<timestamp>." + body`` so neither the body nor the time can be
changed alone; the timestamp bounds replays to a short window. Headers:

    X-Suwon-Timestamp: 1767225600            (Unix seconds)
    X-Suwon-Signature: sha256=<hex digest>
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Suwon-Timestamp"
SIGNATURE_HEADER = "X-Suwon-Signature"
_PREFIX = "sha256="


class SignatureError(Exception):
    """Why a request's signature was refused (safe to tell the caller)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``sha256=<hex>`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def sign_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Headers to send with ``body``."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: str, timestamp: str | None, sig: str | None, body: bytes,
           tolerance_s: float, now: float | None = None) -> None:
    """Raise ``SignatureError`` unless ``sig`` signs ``body`` at a timestamp within
    ``tolerance_s`` of now."""
    if not secret:
        # No secret configured (development): refuse rather than accept unsigned events.
        raise SignatureError("callbacks are disabled: no shared secret is configured")
    if not timestamp or not sig:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not Unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance_s:
        raise SignatureError(f"timestamp outside the {tolerance_s:.0f} s replay window")
    # Constant-time comparison: the time taken must not reveal how much of it matched.
    if not hmac.compare_digest(signature(secret, timestamp, body), sig.strip()):
        raise SignatureError("signature does not match")
