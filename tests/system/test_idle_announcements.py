"""Idle behaviour: the lobby robot, idle a while, announces City information from
config/content/announcements.yaml, and its screen page shows the words (issue 4, §5)."""

from __future__ import annotations

import time

import pytest

from suwon_fleet.fleet.announcements import load_announcements

pytestmark = pytest.mark.ros


def test_idle_lobby_robot_announces_city_information_on_its_screen(fleet) -> None:
    items = {i.id: i for i in load_announcements().sites["city_hall"].items}
    deadline = time.monotonic() + 120  # 20 s of idle (sim time, RTF 2) plus any task before
    announcements: list[dict] = []
    while time.monotonic() < deadline and not announcements:
        screen = fleet.get("/api/v1/robots/lobby_1/screen")
        announcements = [u for u in screen["said"] if u["kind"] == "announcement"]
        time.sleep(0.5)
    assert announcements, "lobby_1 never announced while idle"
    said = announcements[0]
    item = items[said["utterance_id"].split("-")[1]]
    assert (said["text_ko"], said["text_en"]) == (item.text_ko, item.text_en)
    assert screen["site_name_ko"] == "수원시청"


def test_screen_of_unknown_robot_is_404(fleet) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{fleet.url}/api/v1/robots/lobby_9/screen", timeout=5)
    assert caught.value.code == 404
