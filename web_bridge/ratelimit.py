"""Per-client rate limits (sliding window, in memory): login attempts and public routes.

One bridge process serves a site, so in-memory counters are enough; they reset on restart,
which only ever lets a client in sooner.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request

from suwon_web_bridge.problems import Problem

WINDOW_S = 60.0
MAX_CLIENTS = 10_000  # forget the oldest clients beyond this, so memory stays bounded


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a request; None if allowed, else the seconds until the next one may pass."""
        now = self._clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and now - hits[0] >= WINDOW_S:
                hits.popleft()
            self._hits[key] = hits  # re-inserted last: dict order is least recently used
            if len(hits) >= self.per_minute:
                return WINDOW_S - (now - hits[0])
            hits.append(now)
            while len(self._hits) > MAX_CLIENTS:
                self._hits.pop(next(iter(self._hits)))
            return None


def limit(name: str) -> Callable[[Request], None]:
    """A dependency enforcing the app's limiter ``name`` per client address."""

    def check(request: Request) -> None:
        limiter: RateLimiter = request.app.state.rate_limits[name]
        client = request.client.host if request.client else "unknown"
        wait = limiter.hit(client)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise Problem(429, "Too Many Requests",
                          f"too many requests; try again in {seconds} s "
                          f"(limit {limiter.per_minute} per minute)", "rate-limited",
                          headers={"Retry-After": str(seconds)})

    check.__name__ = f"rate_limit_{name}"
    return check
