"""What guests say to the docent robot (or tap on its screen), as tour commands and ratings.

Speech is understood by the concierge's intent recogniser (suwon_fleet.concierge.intents), so
the docent and the lobby robot read Korean the same way: 잠깐 멈춰 주세요 is a pause, 다음으로
넘어가 주세요 a skip, 다시 한 번 설명해 주세요 a repeat, 화장실 어디예요 a detour. The screen's
buttons arrive as heard text too (``Heard.source == "touch"``), carrying a command id
(``pause``, ``skip``, ...) or a rating (``rating:4``), so both paths meet here.

A rating is a number from 1 to 5: digits (4, 4점), Korean numbers (네 개, 사 점, 다섯), or stars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from suwon_fleet.docent.runner import TourCommand

_INTENT_COMMANDS = {
    "tour_pause": TourCommand.PAUSE,
    "tour_resume": TourCommand.RESUME,
    "tour_start": TourCommand.RESUME,  # "start" mid-tour: carry on
    "tour_skip": TourCommand.SKIP,
    "tour_repeat": TourCommand.REPEAT,
    "repeat": TourCommand.REPEAT,  # 뭐라고요? on a tour: say it again
    "tour_previous": TourCommand.PREVIOUS,
    "tour_end": TourCommand.END,
    "goodbye": TourCommand.END,
}
_FACILITY_COMMANDS = {"restroom": TourCommand.RESTROOM, "first_aid": TourCommand.FIRST_AID}
# Screen buttons and English words, as heard text.
_WORDS = {
    "pause": TourCommand.PAUSE, "stop": TourCommand.PAUSE, "wait": TourCommand.PAUSE,
    "resume": TourCommand.RESUME, "continue": TourCommand.RESUME, "go on": TourCommand.RESUME,
    "skip": TourCommand.SKIP, "next": TourCommand.SKIP,
    "repeat": TourCommand.REPEAT, "again": TourCommand.REPEAT,
    "previous": TourCommand.PREVIOUS, "back": TourCommand.PREVIOUS,
    "end": TourCommand.END, "end tour": TourCommand.END, "end the tour": TourCommand.END,
    "restroom": TourCommand.RESTROOM, "toilet": TourCommand.RESTROOM,
    "where is the restroom": TourCommand.RESTROOM, "first aid": TourCommand.FIRST_AID,
    "first_aid": TourCommand.FIRST_AID,
}
_KO_NUMBERS = (  # longest first, so 다섯 is not read as 다
    ("다섯", 5), ("하나", 1), ("한", 1), ("일", 1), ("둘", 2), ("두", 2), ("이", 2),
    ("셋", 3), ("세", 3), ("삼", 3), ("넷", 4), ("네", 4), ("사", 4), ("오", 5),
)
_RATING_KO = re.compile(
    r"(?:별\s*)?(" + "|".join(k for k, _ in _KO_NUMBERS) + r")\s*(?:점|개|별)")
_RATING_PLAIN_KO = re.compile(r"^\s*(다섯|하나|둘|셋|넷)\s*(?:요|이요)?\s*[.!]?\s*$")
_DIGIT = re.compile(r"(?<!\d)([1-5])(?!\d)(?:\s*(?:점|개|stars?|/\s*5))?")


class Recognizer(Protocol):
    def recognize(self, text: str): ...


@dataclass(frozen=True)
class Understood:
    """One utterance: a command, a rating, or neither (``command is rating is None``)."""

    command: TourCommand | None = None
    rating: int | None = None
    intent: str = ""  # what the recogniser made of it, for logs

    @property
    def understood(self) -> bool:
        return self.command is not None or self.rating is not None


def parse_rating(text: str) -> int | None:
    """1-5 from what a guest said or tapped; None if it is not a rating."""
    text = (text or "").strip().lower()
    if text.startswith("rating:"):
        text = text.removeprefix("rating:")
    stars = text.count("★") or text.count("⭐")
    if stars and 1 <= stars <= 5:
        return stars
    if m := _DIGIT.search(text):
        return int(m.group(1))
    for pattern in (_RATING_KO, _RATING_PLAIN_KO):
        if m := pattern.search(text):
            return dict(_KO_NUMBERS)[m.group(1)]
    return None


def understand(text: str, recognizer: Recognizer | None, rating_wanted: bool = False
               ) -> Understood:
    """A tour command or (when ``rating_wanted``) a rating from one final utterance."""
    text = (text or "").strip()
    if not text:
        return Understood()
    if rating_wanted and (stars := parse_rating(text)) is not None:
        return Understood(rating=stars, intent="rating")
    word = text.lower().strip(" .!?")
    if word in _WORDS:
        return Understood(_WORDS[word], intent=word)
    if recognizer is None:
        return Understood()
    intent = recognizer.recognize(text)
    if intent.name in _INTENT_COMMANDS:
        return Understood(_INTENT_COMMANDS[intent.name], intent=intent.name)
    facility = intent.slots.get("facility") if intent.slots else None
    if intent.name in ("facility", "where_is", "take_me_to") and facility in _FACILITY_COMMANDS:
        return Understood(_FACILITY_COMMANDS[facility], intent=intent.name)
    return Understood(intent=intent.name)
