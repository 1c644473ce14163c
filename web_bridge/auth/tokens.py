"""Short-lived JWT access tokens (HS256), as the OAuth2 password flow hands them out."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from suwon_web_bridge.auth.users import Role

ALGORITHM = "HS256"
ISSUER = "suwon-fleet-web-bridge"


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: Role
    expires_at: float


class InvalidToken(Exception):
    pass


def issue(secret: str, username: str, role: Role, minutes: float,
          now: float | None = None) -> tuple[str, float]:
    """A signed token and its lifetime in seconds."""
    issued = time.time() if now is None else now
    lifetime = minutes * 60.0
    claims = {"sub": username, "role": role.label, "iss": ISSUER, "iat": int(issued),
              "exp": int(issued + lifetime), "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), lifetime


def verify(secret: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "iss"]})
        return TokenClaims(claims["sub"], Role.parse(claims["role"]), float(claims["exp"]))
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired; log in again") from None
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise InvalidToken(f"invalid token: {exc}") from None
