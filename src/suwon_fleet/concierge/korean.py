"""Korean text helpers: normalisation, jamo decomposition, morphology and fuzzy term matching.

Speech-recognised Korean arrives spaced oddly (주민 등록 등본), with particles glued on
(등본을), conjugated (뗄래요, 떼려면) and with near-miss syllables (등븐, 가족관게). Every text is
therefore seen two ways, both without spaces:

- ``raw``:   the characters as heard, for spacing-insensitive and typo-tolerant matching;
- ``lemma``: content morphemes only (nouns, verb/adjective stems; no particles or endings),
             from kiwipiepy, so 여권을 잃어버렸는데 matches the alias 여권 잃어버렸.

Typos are tolerated at the jamo level: one wrong vowel is one edit out of ~6 jamo per two
syllables, where at the syllable level it would be a whole different character.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONG = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]
_HANGUL_RE = re.compile(r"[가-힣]")
_NON_WORD_RE = re.compile(r"[^0-9a-z가-힣ㄱ-ㅣ]+")
# Recognisers write counter numbers as words (일 번 창구); the site calls them 1번 창구.
_SINO = {"일": "1", "이": "2", "삼": "3", "사": "4", "오": "5", "육": "6", "륙": "6",
         "칠": "7", "팔": "8", "구": "9"}
_COUNTER_NUMBER_RE = re.compile(r"(?<![가-힣])([일이삼사오육륙칠팔구])\s*번\s*창구")
# Morpheme tags kept in the lemma view: nouns, numerals, foreign words, roots, verb and
# adjective stems, noun-deriving suffixes. Particles, endings and copulas carry no topic.
_CONTENT_TAGS = ("NNG", "NNP", "NNB", "NR", "NP", "SL", "SN", "SH", "XR", "VV", "VA", "XSN",
                 "MAG", "IC")


def has_hangul(text: str) -> bool:
    return bool(_HANGUL_RE.search(text))


def normalize(text: str) -> str:
    """NFC, lower case, punctuation to spaces, counter numbers as digits, single spaces."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _COUNTER_NUMBER_RE.sub(lambda m: f"{_SINO[m.group(1)]}번 창구", text)
    return " ".join(_NON_WORD_RE.sub(" ", text).split())


def compact(text: str) -> str:
    """Normalised text without spaces: 주민 등록 등본 == 주민등록등본."""
    return normalize(text).replace(" ", "")


def to_jamo(text: str) -> str:
    """Decompose Hangul syllables into compatibility jamo; other characters pass through."""
    out: list[str] = []
    for char in text:
        code = ord(char)
        if _HANGUL_FIRST <= code <= _HANGUL_LAST:
            index = code - _HANGUL_FIRST
            out.append(_CHO[index // 588])
            out.append(_JUNG[(index % 588) // 28])
            jong = _JONG[index % 28]
            if jong:
                out.append(jong)
        else:
            out.append(char)
    return "".join(out)


_kiwi_lock = threading.Lock()


@lru_cache(maxsize=1)
def _kiwi():  # -> kiwipiepy.Kiwi
    # Loading the model takes ~1 s, so it happens once, on first use, not at import.
    from kiwipiepy import Kiwi

    return Kiwi()


@lru_cache(maxsize=4096)
def morphemes(text: str) -> tuple[tuple[str, str], ...]:
    """(form, tag) pairs from kiwipiepy, cached (visitors repeat the same questions)."""
    if not text.strip():
        return ()
    with _kiwi_lock:
        tokens = _kiwi().tokenize(text)
    return tuple((tok.form, tok.tag) for tok in tokens)


def lemmas(text: str) -> tuple[str, ...]:
    """Content morphemes of ``text`` in order: nouns and verb/adjective stems."""
    return tuple(form for form, tag in morphemes(normalize(text))
                 if tag.split("-")[0] in _CONTENT_TAGS)


@dataclass(frozen=True)
class Analysis:
    """A text seen as raw characters and as content lemmas, each also as jamo."""

    text: str
    raw: str
    lemma: str
    raw_jamo: str
    lemma_jamo: str
    lemmas: tuple[str, ...]


def analyze(text: str) -> Analysis:
    norm = normalize(text)
    lem = lemmas(norm)
    raw = norm.replace(" ", "")
    lemma = "".join(lem).replace(" ", "")
    return Analysis(norm, raw, lemma, to_jamo(raw), to_jamo(lemma), lem)


def allowed_edits(jamo_len: int) -> int:
    """Jamo edits tolerated for a term of this length: none for one or two syllables' worth
    of jamo or fewer (too many short words are one edit apart), then one per ~6 jamo."""
    if jamo_len < 6:
        return 0
    if jamo_len < 12:
        return 1
    if jamo_len < 20:
        return 2
    return 3


@dataclass(frozen=True)
class Term:
    key: str  # the entry it names
    text: str
    weight: float
    raw_jamo: str
    lemma_jamo: str
    tokens: tuple[str, ...]  # content lemmas of two or more characters


def _tokens(a: Analysis) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in a.lemmas if len(t) >= 2))


@dataclass
class TermMatch:
    key: str
    term: str
    similarity: float  # 0..1 over the aligned jamo
    matched: int  # jamo of the query explained
    coverage: float  # share of the term that was matched
    weight: float
    span: tuple[int, int]  # in the query's jamo (of the view that matched)
    view: str  # "raw" or "lemma"

    @property
    def strength(self) -> float:
        """Matched jamo, discounted for fuzziness, partial terms and weak term kinds."""
        return self.similarity * self.matched * (0.5 + 0.5 * self.coverage) * self.weight


@dataclass
class TermIndex:
    """Fuzzy, spacing-insensitive lookup of named entries (services, places, staff ...)."""

    terms: list[Term] = field(default_factory=list)

    def add(self, key: str, texts: Iterable[str], weight: float = 1.0) -> None:
        seen: set[str] = set()
        for text in texts:
            a = analyze(text)
            if len(a.raw) < 2 or a.raw in seen:
                continue
            seen.add(a.raw)
            lemma_jamo = a.lemma_jamo if len(a.lemma) >= 2 else ""
            self.terms.append(Term(key, text, weight, a.raw_jamo, lemma_jamo, _tokens(a)))

    def freeze(self) -> None:
        self._raw = [t.raw_jamo for t in self.terms]
        self._lemma = [t.lemma_jamo for t in self.terms]
        self._trigrams: dict[str, set[int]] = {}
        self._distinct: list[int] = []
        for i, jamo in enumerate(self._raw):
            grams = {jamo[k:k + 3] for k in range(len(jamo) - 2)}
            self._distinct.append(len(grams))
            for gram in grams:
                self._trigrams.setdefault(gram, set()).add(i)
        self._by_token: dict[str, list[int]] = {}
        for i, term in enumerate(self.terms):
            if len(term.tokens) > 1:  # single-word terms are already found as substrings
                for token in term.tokens:
                    self._by_token.setdefault(token, []).append(i)
        keys_by_token: dict[str, set[str]] = {}
        for term in self.terms:
            for token in term.tokens:
                keys_by_token.setdefault(token, set()).add(term.key)
        self._df = {token: len(keys) for token, keys in keys_by_token.items()}

    def match(self, query: Analysis, min_coverage: float = 0.0) -> list[TermMatch]:
        """Every term found in the query (or the query in the term), best per term."""
        if not hasattr(self, "_raw"):
            self.freeze()
        found: dict[int, TermMatch] = {}
        for view, qjamo, choices in (("raw", query.raw_jamo, self._raw),
                                     ("lemma", query.lemma_jamo, self._lemma)):
            if len(qjamo) < 2:
                continue
            if view == "raw":
                candidates = self._candidates(qjamo)
            else:  # lemmas match exactly, so a substring test is enough
                candidates = [i for i, t in enumerate(choices)
                              if t and (t in qjamo or qjamo in t)]
            for i in candidates:
                m = self._align(i, view, qjamo, choices[i])
                if m and m.coverage >= min_coverage and (
                        i not in found or m.strength > found[i].strength):
                    found[i] = m
        for m in self._token_matches(query):
            if m.coverage >= min_coverage:
                i = m.span[1]  # index of the term; see _token_matches
                m.span = (0, 0)
                if i not in found or m.strength > found[i].strength:
                    found[i] = m
        return sorted(found.values(), key=lambda m: -m.strength)

    def _candidates(self, qjamo: str) -> list[int]:
        """Terms that can be within allowed_edits of the query, by shared jamo trigrams.

        Lossless filter (the q-gram lemma): of the shorter string's distinct trigrams, an
        edit spoils at most 3, so at least (distinct - 3 * edits) must be shared.
        """
        grams = {qjamo[k:k + 3] for k in range(len(qjamo) - 2)}
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._trigrams.get(gram, ()))
        out = []
        for i, count in shared.items():
            tlen = len(self._raw[i])
            distinct = self._distinct[i] if tlen <= len(qjamo) else len(grams)
            if count >= max(1, distinct - 3 * allowed_edits(min(tlen, len(qjamo)))):
                out.append(i)
        return sorted(out)

    def _token_matches(self, query: Analysis) -> list[TermMatch]:
        """Multi-word terms whose words occur anywhere in the query, in any order, with
        other words between: 쓰레기 수거 문제는 ... finds 생활 쓰레기 수거."""
        hits: dict[int, set[str]] = {}
        for token in _tokens(query):
            for i in self._by_token.get(token, ()):
                hits.setdefault(i, set()).add(token)
        out = []
        for i, tokens in hits.items():
            # One word is enough only if it is long and names this entry alone (발급기);
            # a shared word (부서, 증명서) is not.
            single = len(tokens) == 1 and all(len(t) >= 3 and self._df[t] == 1 for t in tokens)
            if len(tokens) < 2 and not single:
                continue
            term = self.terms[i]
            # Words shared by many entries say little: each counts 1/(entries using it).
            matched = sum(len(to_jamo(t)) / self._df[t] for t in tokens)
            total = sum(len(to_jamo(t)) for t in term.tokens)
            out.append(TermMatch(term.key, term.text, 1.0, round(matched), matched / total,
                                 term.weight, (0, i), "token"))
        return out

    def _align(self, i: int, view: str, qjamo: str, tjamo: str) -> TermMatch | None:
        if not tjamo:
            return None
        term = self.terms[i]
        tlen, qlen = len(tjamo), len(qjamo)
        at = qjamo.find(tjamo)
        if at >= 0:
            return TermMatch(term.key, term.text, 1.0, tlen, 1.0, term.weight,
                             (at, at + tlen), view)
        shorter = min(tlen, qlen)
        if shorter < 4:  # a single syllable proves nothing
            return None
        if qlen < tlen and qjamo in tjamo:  # the query is part of the name: 가족 -> 가족관계
            return TermMatch(term.key, term.text, 1.0, qlen, qlen / tlen, term.weight,
                             (0, qlen), view)
        # Typos are tolerated on what was heard (raw) only: kiwipiepy splits a misheard word
        # into odd morphemes (등븐 -> 등 + 블), so a fuzzy lemma match would be a guess.
        edits = allowed_edits(shorter) if view == "raw" else 0
        if edits == 0:
            return None
        # partial_ratio finds where the shorter string sits in the longer one, but its Indel
        # score is lenient on jamo (a small alphabet: unrelated syllables share jamo), so the
        # gate is the Levenshtein distance around that window, in edits.
        align = fuzz.partial_ratio_alignment(tjamo, qjamo)
        if align is None:
            return None
        if tlen <= qlen:
            needle, hay, start, end = tjamo, qjamo, align.dest_start, align.dest_end
        else:  # the query is a fragment of the term (등본 -> 주민등록등본)
            needle, hay, start, end = qjamo, tjamo, align.src_start, align.src_end
        dist, best = edits + 1, (start, end)
        for a in range(max(0, start - 1), min(len(hay), start + 2)):
            for b in range(max(a + 1, end - 1), min(len(hay), end + 1) + 1):
                d = Levenshtein.distance(needle, hay[a:b], score_cutoff=edits)
                if d < dist:
                    dist, best = d, (a, b)
        if dist > edits:
            return None
        similarity = 1.0 - dist / shorter
        if tlen <= qlen:
            span, matched, coverage = best, tlen, 1.0
        else:
            span, matched, coverage = (0, qlen), qlen, qlen / tlen
        return TermMatch(term.key, term.text, similarity, matched, coverage, term.weight,
                         span, view)

    def best_per_key(self, query: Analysis, min_coverage: float = 0.0) -> dict[str, float]:
        """Score per entry: its strongest non-overlapping term matches, summed, over the
        query length (so ~1.0 means the whole query names that entry)."""
        return self.score(query, min_coverage)[0]

    def score(self, query: Analysis, min_coverage: float = 0.0
              ) -> tuple[dict[str, float], dict[str, TermMatch]]:
        """(score per entry as in best_per_key, the strongest single match per entry)."""
        by_key: dict[str, list[TermMatch]] = {}
        for m in self.match(query, min_coverage):  # strongest first
            by_key.setdefault(m.key, []).append(m)
        scores = {key: max(_combined(matches, view, query)
                           for view in ("raw", "lemma", "token"))
                  for key, matches in by_key.items()}
        return scores, {key: matches[0] for key, matches in by_key.items()}


def _combined(matches: list[TermMatch], view: str, query: Analysis) -> float:
    qlen = len(query.raw_jamo if view == "raw" else query.lemma_jamo)
    if not qlen:
        return 0.0
    if view == "token":  # no positions: the best one alone
        return min(1.0, max((m.strength for m in matches if m.view == view), default=0.0)
                   / qlen)
    taken: list[tuple[int, int]] = []
    total = 0.0
    for m in matches:  # strongest first
        if m.view != view or any(m.span[0] < b and a < m.span[1] for a, b in taken):
            continue
        taken.append(m.span)
        total += m.strength
    return min(1.0, total / qlen)
