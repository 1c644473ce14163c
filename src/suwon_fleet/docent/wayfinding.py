"""Where is ...? at the docent's site, while no tour runs: the nearest restroom, the café, a
garden by its name or alias (config/sites/<site>.yaml), with an offer to walk the guest there.

ROS-free. The guest names a place or a kind of facility (화장실, 카페, 출구, 응급); the robot
says what it is and how far, and asks before it moves (the same rule as the lobby concierge:
never move without a "네"). The answer to that question is taken here, anything else drops it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from suwon_fleet.concierge.dialogue import josa
from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import Site
from suwon_fleet.core.tours import Text
from suwon_fleet.docent.course_chat import GuestReply, GuideTo

CONFIRM_WITHIN_S = 30.0  # a late "네" must not send the robot off
# Facility kinds of the site file, by the words guests use for them.
_FACILITY_WORDS = {
    "restroom": re.compile(r"화장실|변소|토일렛|restroom|toilet|\bwc\b", re.IGNORECASE),
    "cafe": re.compile(r"카페|커피|매점|음료|cafe|café|coffee", re.IGNORECASE),
    "exit": re.compile(r"출구|나가는|정문|exit|way out", re.IGNORECASE),
    "first_aid": re.compile(r"응급|구급|의무실|다쳤|first aid", re.IGNORECASE),
}
_ASKING_WHERE = re.compile(r"어디|어느 쪽|가고 싶|가려면|데려다|안내|찾|where|how do i get",
                           re.IGNORECASE)
_YES = re.compile(r"^\s*(네+|넵|예|응|그래|좋아|부탁|yes|please|ok)", re.IGNORECASE)
_NO = re.compile(r"^\s*(아니|아뇨|괜찮아요|됐어요|no\b)", re.IGNORECASE)
# Place kinds a guest never asks to be taken to.
_NOT_DESTINATIONS = ("dock", "waiting", "path")


class Wayfinding:
    def __init__(self, site: Site, pose: Callable[[], Pose2D | None],
                 clock: Callable[[], float]) -> None:
        self.site = site
        self.pose = pose
        self.clock = clock
        self._offered: tuple[str, float] | None = None  # (place, when) awaiting a yes
        names: list[tuple[str, str]] = []
        for place_id, place in site.places.items():
            if place.kind in _NOT_DESTINATIONS:
                continue
            for name in (place.name_ko, place.name_en, *place.aliases):
                names.append((_squash(name), place_id))
        # Longest first: 장미정원 before 정원
        self._names = sorted((n for n in names if len(n[0]) >= 2), key=lambda n: -len(n[0]))

    @property
    def offering(self) -> bool:
        return self._offered is not None

    def hear(self, text: str) -> GuestReply | None:
        """An answer to the robot's offer, or a where-is question; None for anything else."""
        offered, self._offered = self._offered, None
        if offered is not None and self.clock() - offered[1] <= CONFIRM_WITHIN_S:
            if _YES.match(text):
                place = self.site.places[offered[0]]
                return GuestReply(Text(ko=f"네, {josa(place.name_ko, '으로/로')} 안내할게요. "
                                          "저를 따라오세요.",
                                       en=f"This way to the {place.name_en}. Please follow "
                                          "me."), action=GuideTo(offered[0]))
            if _NO.match(text):
                return GuestReply(Text(ko="알겠습니다. 더 궁금한 게 있으면 말씀해 주세요.",
                                       en="All right. Ask me anything else."))
        place_id = self._place_in(text)
        if place_id is None:
            return None
        place = self.site.places[place_id]
        where_ko, where_en = self._how_far(place_id)
        self._offered = (place_id, self.clock())
        return GuestReply(Text(ko=f"{josa(place.name_ko, '은/는')} {where_ko} 안내해 드릴까요?",
                               en=f"The {place.name_en} is {where_en} Shall I take you?"),
                          "confirm")

    def _place_in(self, text: str) -> str | None:
        for kind, words in _FACILITY_WORDS.items():
            if words.search(text) and self.site.facilities.get(kind):
                return self._nearest(self.site.facilities[kind])
        if not _ASKING_WHERE.search(text):
            return None
        squashed = _squash(text)
        return next((place_id for name, place_id in self._names if name in squashed), None)

    def _nearest(self, place_ids: list[str]) -> str:
        here = self.pose()
        if here is None:
            return place_ids[0]
        return min(place_ids, key=lambda p: math.hypot(self.site.places[p].x - here.x,
                                                       self.site.places[p].y - here.y))

    def _how_far(self, place_id: str) -> tuple[str, str]:
        here, place = self.pose(), self.site.places[place_id]
        if here is None:
            return "이 정원 안에 있어요.", "in the grounds."
        metres = math.hypot(place.x - here.x, place.y - here.y)
        if metres < 8:
            return "바로 여기예요.", "right here."
        rounded = max(10, round(metres / 10) * 10)
        return f"여기서 약 {rounded}미터 떨어져 있어요.", f"about {rounded} m from here."


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()
