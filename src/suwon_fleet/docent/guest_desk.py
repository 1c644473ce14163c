"""What the docent robot does with a guest's words while no tour runs: course choice
(course_chat.py), where-is questions (wayfinding.py), else a hint how to ask for a tour.

ROS-free; the tour guide node passes every final utterance here between tours.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import Site
from suwon_fleet.core.tours import Text
from suwon_fleet.docent.course_chat import CourseConversation, GuestReply
from suwon_fleet.docent.planning import RouteBook
from suwon_fleet.docent.wayfinding import Wayfinding

HINT_EVERY_S = 60.0  # the hint at most this often...
HINT_MIN_CONFIDENCE = 0.5  # ...and only for words the recogniser is fairly sure of (not chatter)
HINT = Text(ko="안녕하세요! 해설 투어를 원하시면 '코스 추천해 주세요', 길을 찾으시면 '화장실 "
               "어디예요'처럼 말씀해 주세요.",
            en="Hello! Say 'recommend a course' for a guided tour, or ask me the way, like "
               "'where is the restroom'.")


class GuestDesk:
    def __init__(self, site: Site, now: Callable[[], datetime], seconds: Callable[[], float],
                 pose: Callable[[], Pose2D | None], routes: RouteBook | None = None) -> None:
        self.seconds = seconds
        self.courses = CourseConversation(site, now, routes)
        self.ways = Wayfinding(site, pose, seconds)
        self._hinted_at = float("-inf")

    def hear(self, text: str, source: str = "voice", confidence: float = 1.0
             ) -> GuestReply | None:
        """The robot's answer, or None to say nothing (chatter it is not sure it heard)."""
        if self.ways.offering and (reply := self.ways.hear(text)) is not None:
            return reply
        if self.courses.active:
            return self.courses.hear(text)
        if (reply := self.ways.hear(text)) is not None:
            return reply
        if (reply := self.courses.hear(text)) is not None:
            return reply
        now = self.seconds()
        if source == "touch" or (confidence >= HINT_MIN_CONFIDENCE
                                 and now - self._hinted_at >= HINT_EVERY_S):
            self._hinted_at = now
            return GuestReply(HINT)
        return None
