"""Intent recognition and civil-service search, against plain references in the same run.

Intents, on tests/concierge/utterances_ko.yaml (tuning = what the rules were written against,
held_out = never used for that), plus seeded speech-recogniser-style corruptions of the
held-out set (spaces dropped, spaces inserted, one vowel misheard in a word). Compared with:

- keyword: a plain substring matcher (first intent whose keyword occurs wins; slots by exact
  substring of names and aliases) - what a quick implementation would do;
- char n-gram NB: multinomial naive Bayes over character 1-3-grams, trained on the tuning
  split - the small-classifier alternative. It has no slots.

Search: top-1 accuracy and queries per second on a fixed query set (spacing variants, typos,
colloquial and conjugated forms), against rapidfuzz WRatio over the same names and aliases.
Target (issue): intent accuracy >= 90 % on the labelled set.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from suwon_fleet.concierge.content import Content, load_content
from suwon_fleet.concierge.intents import IntentRecognizer
from suwon_fleet.concierge.korean import compact, morphemes
from suwon_fleet.concierge.search import CivilServiceSearch

UTTERANCES = Path(__file__).resolve().parents[1] / "tests" / "concierge" / "utterances_ko.yaml"
SEED = 11
SEARCH_REPEATS = 20

# -- references ---------------------------------------------------------------------------

KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("speak_slower", ("천천히", "빨라")),
    ("repeat", ("뭐라고", "다시 말", "못 들었", "한 번 더")),
    ("goodbye", ("안녕히", "수고하세요", "갈게", "고마워", "감사합니다")),
    ("tour_start", ("시작",)),
    ("tour_pause", ("멈춰", "잠깐", "잠시")),
    ("tour_resume", ("계속",)),
    ("tour_skip", ("넘어가", "건너뛰", "다음")),
    ("tour_repeat", ("설명 다시",)),
    ("tour_previous", ("이전", "돌아가")),
    ("tour_end", ("그만", "끝", "종료")),
    ("call_official", ("불러", "공무원", "직원")),
    ("who_handles", ("담당", "누구", "부서")),
    ("opening_hours", ("몇 시", "언제", "시간", "토요일", "주말")),
    ("take_me_to", ("데려다", "안내해", "같이 가")),
    ("facility", ("화장실", "엘리베이터", "출구", "주차장")),
    ("where_is", ("어디", "어느 쪽", "몇 층")),
    ("service_requirements", ("필요", "서류", "수수료", "얼마", "발급", "떼", "신청")),
    ("deny", ("아니", "됐어", "괜찮", "싫어")),
    ("affirm", ("네", "예", "좋아", "응", "그래")),
    ("greeting", ("안녕하세요",)),
]


class KeywordMatcher:
    """Reference: substring keywords in a fixed order; slots by exact name substring."""

    def __init__(self, content: Content) -> None:
        self.names: list[tuple[str, str, str]] = []  # (compact name, slot, id)
        for sid, s in content.services.items():
            self.names += [(compact(n), "service", sid) for n in (s.name_ko, *s.aliases)]
        for pid, p in content.site.places.items():
            self.names += [(compact(n), "place", pid) for n in (p.name_ko, *p.aliases)]
        self.names.sort(key=lambda item: -len(item[0]))  # longest name first

    def recognize(self, text: str) -> tuple[str, dict[str, str]]:
        intent = next((name for name, words in KEYWORDS if any(w in text for w in words)),
                      "unknown")
        slots: dict[str, str] = {}
        flat = compact(text)
        for name, slot, entry in self.names:
            if name and name in flat:
                slots.setdefault(slot, entry)
        return intent, slots


class CharNgramNB:
    """Reference: multinomial naive Bayes over character 1-3-grams of the spaceless text."""

    def __init__(self, texts: list[str], labels: list[str]) -> None:
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.priors = Counter(labels)
        for text, label in zip(texts, labels, strict=True):
            self.counts[label].update(self.grams(text))
        self.vocab = {g for c in self.counts.values() for g in c}
        self.totals = {label: sum(c.values()) for label, c in self.counts.items()}

    @staticmethod
    def grams(text: str) -> list[str]:
        s = f"^{compact(text)}$"
        return [s[i:i + n] for n in (1, 2, 3) for i in range(len(s) - n + 1)]

    def predict(self, text: str) -> str:
        grams = self.grams(text)
        n = sum(self.priors.values())
        v = len(self.vocab)

        def score(label: str) -> float:
            c, total = self.counts[label], self.totals[label]
            return math.log(self.priors[label] / n) + sum(
                math.log((c[g] + 1) / (total + v)) for g in grams)

        return max(self.priors, key=score)


# -- speech-recogniser-style corruption ---------------------------------------------------

_VOWEL_SWAPS = {"ㅔ": "ㅐ", "ㅐ": "ㅔ", "ㅗ": "ㅜ", "ㅜ": "ㅗ", "ㅓ": "ㅗ", "ㅡ": "ㅜ", "ㅖ": "ㅔ",
                "ㅕ": "ㅓ", "ㅏ": "ㅓ", "ㅣ": "ㅢ"}
_JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"


def mishear(text: str, rng: random.Random) -> str:
    """One vowel swapped in one syllable of the longest word (a typical recogniser slip)."""
    words = text.split()
    if not words:
        return text
    i = max(range(len(words)), key=lambda k: (len(words[k]), -k))
    word = words[i]
    syllables = [k for k, ch in enumerate(word) if 0xAC00 <= ord(ch) <= 0xD7A3]
    if not syllables:
        return text
    k = rng.choice(syllables)
    code = ord(word[k]) - 0xAC00
    cho, jung, jong = code // 588, (code % 588) // 28, code % 28
    new_jung = _JUNG.index(_VOWEL_SWAPS.get(_JUNG[jung], _JUNG[jung]))
    words[i] = word[:k] + chr(0xAC00 + cho * 588 + new_jung * 28 + jong) + word[k + 1:]
    return " ".join(words)


def respace(text: str, rng: random.Random) -> str:
    """Spaces where a recogniser might put them: after random syllables."""
    flat = text.replace(" ", "")
    return "".join(ch + (" " if rng.random() < 0.3 else "") for ch in flat).strip()


# -- measuring ----------------------------------------------------------------------------

def load_splits() -> dict[str, list[dict]]:
    data = yaml.safe_load(UTTERANCES.read_text(encoding="utf-8"))
    rng = random.Random(SEED)
    held = data["held_out"]
    return {
        "tuning": data["tuning"],
        "held_out": held,
        "held_out, no spaces": [{**u, "text": u["text"].replace(" ", "")} for u in held],
        "held_out, respaced": [{**u, "text": respace(u["text"], rng)} for u in held],
        "held_out, misheard": [{**u, "text": mishear(u["text"], rng)} for u in held],
    }


def slots_ok(expected: dict | None, got: dict[str, str]) -> bool:
    return all(got.get(k) == v for k, v in (expected or {}).items())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def intent_section(content: Content) -> None:
    splits = load_splits()
    ours = IntentRecognizer(content)
    keyword = KeywordMatcher(content)
    nb = CharNgramNB([u["text"] for u in splits["tuning"]],
                     [u["intent"] for u in splits["tuning"]])
    morphemes.cache_clear()  # time ours without the per-utterance analysis cache
    latencies: list[float] = []
    per_intent: dict[str, list[bool]] = defaultdict(list)

    print("\nIntent recognition: accuracy (intent / slots where labelled)\n")
    header = (f"{'set':<22}{'n':>5}{'ours':>9}{'slots':>8}{'keyword':>10}{'slots':>8}"
              f"{'char-NB':>10}")
    print(header)
    print("-" * len(header))
    for name, items in splits.items():
        o_int = o_slot = k_int = k_slot = nb_ok = 0
        labelled = sum(1 for u in items if u.get("slots"))
        for u in items:
            t0 = time.perf_counter()
            got = ours.recognize(u["text"])
            latencies.append((time.perf_counter() - t0) * 1000)
            o_int += got.name == u["intent"]
            o_slot += bool(u.get("slots")) and slots_ok(u["slots"], got.slots)
            if name in ("tuning", "held_out"):
                per_intent[u["intent"]].append(got.name == u["intent"])
            k_name, k_slots = keyword.recognize(u["text"])
            k_int += k_name == u["intent"]
            k_slot += bool(u.get("slots")) and slots_ok(u["slots"], k_slots)
            nb_ok += nb.predict(u["text"]) == u["intent"]
        n = len(items)
        nb_cell = "(train)" if name == "tuning" else f"{nb_ok / n:.1%}"
        print(f"{name:<22}{n:>5}{o_int / n:>9.1%}{o_slot / labelled:>8.1%}{k_int / n:>10.1%}"
              f"{k_slot / labelled:>8.1%}{nb_cell:>10}")

    print("\nPer intent, ours (tuning + held_out):")
    cells = [f"{intent} {sum(oks)}/{len(oks)}" for intent, oks in sorted(per_intent.items())]
    for i in range(0, len(cells), 4):
        print("  " + "   ".join(f"{c:<26}" for c in cells[i:i + 4]).rstrip())
    print(f"\nLatency per utterance, ours (kiwipiepy analysis uncached): median "
          f"{statistics.median(latencies):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms")


SEARCH_QUERIES = [
    ("주민등록등본", "resident_copy"), ("주민 등록 등본", "resident_copy"),
    ("주민등록등븐", "resident_copy"), ("등본 떼려면", "resident_copy"),
    ("주민 등록 초븐", "resident_abstract"), ("초본", "resident_abstract"),
    ("가족관게 증명서", "family_relation"), ("가족 관계", "family_relation"),
    ("인감 떼러 왔어요", "seal_cert"), ("혼인 관계 증명서", "marriage_cert"),
    ("여권 재발급", "passport_issue"), ("여권을 잃어버렸어요", "passport_lost"),
    ("기초 연굼", "basic_pension"), ("노령 연금", "basic_pension"),
    ("자동차 명의 이전", "car_transfer_registration"), ("폐차", "car_deregistration"),
    ("재산세 내러 왔어요", "local_tax_payment"), ("납세 증명", "local_tax_certificate"),
    ("토지 대장", "land_register"), ("건물 대장", "building_register"),
    ("아동 수당", "child_allowance"), ("부모 급여", "parent_benefit"),
    ("청년 월세", "youth_rent_support"), ("병적 증명", "military_service_cert"),
    ("본인 서명 확인서", "signature_cert"), ("전입 신고 하러", "move_in"),
    ("주민증 분실", "id_card_reissue"), ("출생 신고", "birth_report"),
    ("운전 경력", "driving_record"), ("수급자 증명서", "basic_livelihood_cert"),
]


def search_section(content: Content) -> None:
    search = CivilServiceSearch(content)
    names = [(n, sid) for sid, s in content.services.items() for n in (s.name_ko, *s.aliases)]
    choices = [n for n, _ in names]

    def reference(query: str) -> str | None:
        best = process.extractOne(query, choices, scorer=fuzz.WRatio)
        return names[best[2]][1] if best else None

    ours_ok = sum(bool(h := search.search(q, 1)) and h[0].id == want
                  for q, want in SEARCH_QUERIES)
    ref_ok = sum(reference(q) == want for q, want in SEARCH_QUERIES)

    def rate(fn, fresh: bool) -> float:
        """Queries per second, best of three rounds (the machine may be shared)."""
        queries = [q for q, _ in SEARCH_QUERIES]
        best = math.inf
        for round_ in range(3):
            t0 = time.perf_counter()
            for r in range(SEARCH_REPEATS):
                if fresh:
                    morphemes.cache_clear()
                for q in queries:
                    fn(q if not fresh else f"{q} {round_}.{r}")
            best = min(best, time.perf_counter() - t0)
        return SEARCH_REPEATS * len(queries) / best

    print(f"\nCivil-service search: {len(SEARCH_QUERIES)} queries (spacing, typos, colloquial),"
          f" {len(content.services)} services, {len(content.departments)} departments, "
          f"{len(content.staff)} staff\n")
    header = f"{'search':<26}{'top-1':>8}{'queries/s':>12}{'q/s uncached':>15}"
    print(header)
    print("-" * len(header))
    print(f"{'ours (jamo + kiwipiepy)':<26}{ours_ok / len(SEARCH_QUERIES):>8.1%}"
          f"{rate(search.search, False):>12.0f}{rate(search.search, True):>15.0f}")
    print(f"{'rapidfuzz WRatio':<26}{ref_ok / len(SEARCH_QUERIES):>8.1%}"
          f"{rate(reference, False):>12.0f}{'-':>15}")
    print("\nuncached: every query new to kiwipiepy's analysis cache.\n"
          "Target: intent accuracy >= 90 % on the labelled set.\n")


def main() -> None:
    content = load_content()
    intent_section(content)
    search_section(content)


if __name__ == "__main__":
    main()
