"""Civil-service search: services, departments and staff, Korean-aware.

Backs the robot's answers and the web bridge's search API. Spacing-insensitive (주민 등록 등본
finds 주민등록등본), typo-tolerant at the jamo level (주민등록등븐, 가족관게), understands
colloquial aliases (등본, 인감) and conjugated or particle-laden speech through kiwipiepy
lemmas. Indexes are built once in the constructor; a query costs well under a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from suwon_fleet.concierge.content import Content
from suwon_fleet.concierge.korean import TermIndex, analyze

HitKind = Literal["service", "department", "staff"]
_KIND_ORDER = {"service": 0, "department": 1, "staff": 2}
# Descriptive fields (what a department handles, a person's topics) say less about an entry
# than its name, so they count for less: 기초연금 should find the service before the person.
_DESCRIPTION_WEIGHT = 0.7
_TOPIC_WEIGHT = 0.55


@dataclass(frozen=True)
class Hit:
    kind: HitKind
    id: str
    score: float  # 0..1: share of the query this entry explains
    title_ko: str
    title_en: str
    summary_ko: str
    summary_en: str


class CivilServiceSearch:
    """Ranked search over the content; build once, query from any thread."""

    MIN_SCORE = 0.08
    MIN_COVERAGE = 0.25  # a fragment must be at least a quarter of a name (가족 -> 가족관계...)

    def __init__(self, content: Content) -> None:
        self.content = content
        self.index = TermIndex()
        for sid, s in content.services.items():
            self.index.add(f"service:{sid}", [s.name_ko, s.name_en, *s.aliases])
        for did, d in content.departments.items():
            self.index.add(f"department:{did}", [d.name_ko, d.name_en, *d.aliases])
            self.index.add(f"department:{did}", [*d.handles_ko, *d.handles_en],
                           _DESCRIPTION_WEIGHT)
        for pid, p in content.staff.items():
            self.index.add(f"staff:{pid}", [p.name_ko, f"{p.name_ko} {p.role_ko}",
                                            p.name_en])
            self.index.add(f"staff:{pid}", [p.role_ko, *p.topics_ko, *p.topics_en],
                           _TOPIC_WEIGHT)
        self.index.freeze()

    def scores(self, query: str, min_coverage: float | None = None) -> dict[str, float]:
        """Raw scores per 'kind:id' key (for the intent recogniser's slot filling)."""
        cover = self.MIN_COVERAGE if min_coverage is None else min_coverage
        return self.index.best_per_key(analyze(query), cover)

    def search(self, query: str, limit: int = 5,
               kinds: tuple[HitKind, ...] = ("service", "department", "staff")) -> list[Hit]:
        """The best ``limit`` entries for ``query``, best first; [] when nothing fits."""
        if limit <= 0 or not query.strip():
            return []
        ranked = sorted(
            ((key.split(":", 1), score) for key, score in self.scores(query).items()
             if score >= self.MIN_SCORE),
            key=lambda item: (-round(item[1], 6), _KIND_ORDER[item[0][0]], item[0][1]),
        )
        hits = [self._hit(kind, entry_id, score) for (kind, entry_id), score in ranked
                if kind in kinds]
        return hits[:limit]

    def _hit(self, kind: str, entry_id: str, score: float) -> Hit:
        c = self.content
        if kind == "service":
            s = c.services[entry_id]
            if s.counter:
                where_ko, where_en = c.place_names(s.counter)
            else:
                where_ko, where_en = s.where_ko, s.where_en
            kiosk_ko = " · 무인민원발급기 가능" if s.kiosk and s.counter != "document_kiosk" else ""
            kiosk_en = " · also at the kiosk" if s.kiosk and s.counter != "document_kiosk" else ""
            return Hit("service", entry_id, score, s.name_ko, s.name_en,
                       f"{where_ko} · 수수료 {s.fee.text_ko().split('.')[0]}{kiosk_ko}",
                       f"{where_en} · fee {s.fee.text_en().split('. ')[0]}{kiosk_en}")
        if kind == "department":
            d = c.departments[entry_id]
            return Hit("department", entry_id, score, d.name_ko, d.name_en,
                       f"{d.floor}층 · {d.phone} · {', '.join(d.handles_ko[:3])}",
                       f"floor {d.floor} · {d.phone} · {', '.join(d.handles_en[:3])}")
        p = c.staff[entry_id]
        dept = c.departments[p.department]
        return Hit("staff", entry_id, score, f"{p.name_ko} ({p.role_ko})",
                   f"{p.name_en} ({p.role_en})",
                   f"{dept.name_ko} · {', '.join(p.topics_ko[:3])}",
                   f"{dept.name_en} · {', '.join(p.topics_en[:3])}")
