"""The civil-service search used by the robots and the web bridge, behind one interface.

Two implementations: the embedded default (the project's own Korean-aware search over
config/content), and an adapter for the City's civil-service search app over HTTP, which falls
back to the embedded search whenever the app fails or is slow, so a visitor always gets an
answer. Chosen by environment:

  SUWON_SEARCH_URL        the City app's search endpoint (GET ?q=&limit=); empty = embedded
  SUWON_SEARCH_KEY        sent as the X-Api-Key header
  SUWON_SEARCH_TIMEOUT_S  per request (default 1.5: a visitor is waiting)

The City app is expected to answer ``{"results": [{"kind", "id", "score", "title_ko",
"title_en", "summary_ko", "summary_en"}, ...]}``; missing English fields are allowed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Protocol

import httpx

from suwon_fleet.concierge.content import Content, load_content
from suwon_fleet.concierge.search import CivilServiceSearch, Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchAnswer:
    hits: list[Hit]
    source: str  # "embedded", "city", or "embedded (city app failed: ...)"


class SearchService(Protocol):
    def search(self, query: str, limit: int = 5) -> SearchAnswer: ...


class EmbeddedSearch:
    def __init__(self, content: Content | None = None) -> None:
        self.content = content or load_content()
        self._search = CivilServiceSearch(self.content)

    def search(self, query: str, limit: int = 5) -> SearchAnswer:
        return SearchAnswer(self._search.search(query, limit=limit), "embedded")


class CityAppSearch:
    """The City's app first; the embedded search when it fails, times out or talks nonsense."""

    def __init__(self, url: str, fallback: EmbeddedSearch, key: str = "",
                 timeout_s: float = 1.5, client: httpx.Client | None = None) -> None:
        self.url = url
        self.fallback = fallback
        self._headers = {"X-Api-Key": key} if key else {}
        self._client = client or httpx.Client(timeout=timeout_s)

    def search(self, query: str, limit: int = 5) -> SearchAnswer:
        try:
            response = self._client.get(self.url, params={"q": query, "limit": limit},
                                        headers=self._headers)
            response.raise_for_status()
            hits = [_hit(item) for item in response.json()["results"]][:limit]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            reason = f"{type(exc).__name__}: {exc}"[:120]
            log.warning("city search app failed (%s); answering from the embedded search",
                        reason)
            answer = self.fallback.search(query, limit)
            return SearchAnswer(answer.hits, f"embedded (city app failed: {reason})")
        return SearchAnswer(hits, "city")

    def close(self) -> None:
        self._client.close()


def _hit(item: dict) -> Hit:
    return Hit(kind=str(item["kind"]), id=str(item["id"]), score=float(item.get("score", 0)),
               title_ko=str(item["title_ko"]), title_en=str(item.get("title_en", "")),
               summary_ko=str(item.get("summary_ko", "")),
               summary_en=str(item.get("summary_en", "")))


def search_service_from_env(environ: dict[str, str] | None = None,
                            embedded: EmbeddedSearch | None = None) -> SearchService:
    env = os.environ if environ is None else environ
    embedded = embedded or EmbeddedSearch()
    url = env.get("SUWON_SEARCH_URL", "").strip()
    if not url:
        return embedded
    return CityAppSearch(url, embedded, key=env.get("SUWON_SEARCH_KEY", ""),
                         timeout_s=float(env.get("SUWON_SEARCH_TIMEOUT_S", "1.5")))
