"""The dashboard in a real headless Chromium: both sites drawn, robots live, send one to a place."""

from __future__ import annotations

import json
import math
import shutil
import time
import urllib.request

import pytest

from suwon_fleet.core.sites import load_fleet
from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.ros]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def page(fleet):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(fleet.url + "/")
        log_in(page)
        yield page
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def log_in(page, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    page.wait_for_selector('[data-testid="login"]:not([hidden])', timeout=10000)
    page.fill('[data-testid="login-username"]', username)
    page.fill('[data-testid="login-password"]', password)
    page.click('[data-testid="login-submit"]')
    page.wait_for_selector('[data-testid="login"]', state="hidden", timeout=10000)
    assert page.locator('[data-testid="user"]').inner_text().endswith("· admin")


def test_wrong_password_is_refused_with_a_reason(fleet) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="ko-KR")
        page.goto(fleet.url + "/")
        page.fill('[data-testid="login-username"]', "admin")
        page.fill('[data-testid="login-password"]', "not-the-password")
        page.click('[data-testid="login-submit"]')
        note = page.locator('[data-testid="login-note"]')
        note.wait_for(state="visible")
        page.wait_for_function("""() => document.querySelector('[data-testid="login-note"]')
                                   .textContent.includes('비밀번호')""", timeout=5000)
        assert page.locator('[data-testid="login"]').is_visible()
        browser.close()


def test_both_site_maps_and_robots_shown(page, tmp_path) -> None:
    page.wait_for_selector('[data-testid="ws-status"][data-connected="true"]', timeout=15000)
    for site in ("city_hall", "ilwol_arboretum"):
        assert page.locator(f'[data-testid="map-{site}"]').is_visible()
    for robot in ("lobby_1", "docent_1"):
        page.wait_for_function(
            f"""document.querySelector('[data-testid="robot-{robot}"]')
                 ?.getAttribute('data-x') !== '' """, timeout=10000)
    # The map image really loaded and was drawn (canvas not blank).
    painted = page.evaluate("""() => {
        const c = document.querySelector('[data-testid="map-city_hall"]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let dark = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 60) dark++;
        return dark; }""")
    assert painted > 1000, "walls should be drawn in dark pixels"
    page.screenshot(path=str(tmp_path / "dashboard.png"))


def test_simulated_visitors_walk_on_the_site_maps(page) -> None:
    page.wait_for_function("""() => Number(document.querySelector('[data-testid="map-city_hall"]')
        .getAttribute('data-visitors')) > 0""", timeout=15000)  # drawn on the map
    first = page.evaluate("() => JSON.stringify(window.__fleetState.visitors.city_hall)")
    page.wait_for_function("""(first) => JSON.stringify(window.__fleetState.visitors.city_hall)
        !== first""", arg=first, timeout=15000)  # and they walk


def test_send_robot_to_place_and_watch_it_arrive(page) -> None:
    target = load_fleet().sites["ilwol_arboretum"].places["greenhouse"]
    card = page.locator('[data-testid="robot-docent_1"]')
    start_x = float(card.get_attribute("data-x"))
    page.select_option('[data-testid="goto-place-docent_1"]', "greenhouse")
    page.click('[data-testid="goto-button-docent_1"]')
    result = page.locator('[data-testid="goto-result-docent_1"]')
    page.wait_for_function("""() => document.querySelector('[data-testid="goto-result-docent_1"]')
        .getAttribute('data-state') === 'ok'""", timeout=10000)
    task_id = result.get_attribute("data-task-id")
    assert task_id
    # It moves: the card's mode and position change live.
    page.wait_for_function("""() => document.querySelector('[data-testid="robot-docent_1"]')
        .getAttribute('data-mode') === 'navigating'""", timeout=10000)
    page.wait_for_function(f"""() => Math.abs(parseFloat(document.querySelector(
        '[data-testid="robot-docent_1"]').getAttribute('data-x')) - {start_x}) > 1.0""",
        timeout=30000)
    # ...and arrives, back to idle at the greenhouse.
    page.wait_for_function("""() => document.querySelector('[data-testid="robot-docent_1"]')
        .getAttribute('data-mode') === 'idle'""", timeout=90000)
    x = float(card.get_attribute("data-x"))
    y = float(card.get_attribute("data-y"))
    assert math.hypot(x - target.x, y - target.y) <= 0.5


def test_robot_screen_page_shows_what_the_robot_says(page, fleet) -> None:
    from suwon_fleet.fleet.announcements import load_announcements

    texts = {i.text_ko for i in load_announcements().sites["city_hall"].items}
    screen = page.context.browser.new_page(locale="ko-KR")
    screen.goto(fleet.url + "/robot/lobby_1")
    screen.wait_for_function(
        """texts => texts.includes(
               document.querySelector('[data-testid="said-ko"]').textContent)""",
        arg=sorted(texts), timeout=120000)
    assert screen.locator('[data-testid="site"]').inner_text() == "수원시청 · Suwon City Hall"
    assert "·" in screen.locator('[data-testid="status"]').inner_text()
    screen.close()


def test_robot_screen_shows_what_it_heard_and_a_map_of_the_way(page, fleet) -> None:
    """Touch alone: a tap is shown as heard, "네" sends the robot, and its screen draws the
    map of the way with the robot moving along it."""
    screen = page.context.browser.new_page(locale="ko-KR")
    screen.goto(fleet.url + "/robot/lobby_1")
    screen.wait_for_function("""() => document.querySelector('[data-testid="status"]')
        .textContent.startsWith('대기 중')""", timeout=120000)  # idle (after earlier tests)
    screen.click('.lobby[data-testid="quick-화장실 어디예요"]')
    screen.wait_for_function("""() => document.querySelector('[data-testid="heard-text"]')
        .textContent.includes('화장실 어디예요')""", timeout=10000)
    assert "touch" in screen.locator('[data-testid="heard-text"]').inner_text()
    screen.wait_for_function("""() => document.querySelector('[data-testid="said-ko"]')
        .textContent.includes('안내해 드릴까요')""", timeout=10000)
    screen.click('[data-testid="quick-네"]')
    canvas = '[data-testid="screen-map"]'
    screen.wait_for_function(f"""() => document.querySelector('{canvas}').dataset.robot
        && document.querySelector('{canvas}').dataset.destination""", timeout=30000)
    assert "화장실" in screen.locator("#destination-name").inner_text()
    first = screen.locator(canvas).get_attribute("data-robot")
    screen.wait_for_function(f"""first => document.querySelector('{canvas}').dataset.robot
        !== first""", arg=first, timeout=30000)
    assert int(screen.locator(canvas).get_attribute("data-path-points")) >= 2
    # Done: idle again, the map gone (the next tests use this robot too).
    screen.wait_for_function("""() => document.querySelector('[data-testid="status"]')
        .textContent.startsWith('대기 중')""", timeout=120000)
    assert screen.locator("#destination").is_hidden()
    screen.close()


def test_robot_screen_shows_the_answer_as_a_card(page, fleet) -> None:
    screen = page.context.browser.new_page(locale="ko-KR")
    screen.goto(fleet.url + "/robot/lobby_1")
    screen.click('[data-testid="quick-주민등록등본 떼려면 뭐가 필요해요"]')
    screen.wait_for_function("""() => !document.querySelector('[data-testid="card"]').hidden
        && document.querySelector('#card-title').textContent.includes('등본')""", timeout=15000)
    lines = screen.locator('[data-testid="card-lines"] li').all_inner_texts()
    assert any(line.startswith("준비물") and "Bring" in line for line in lines), lines
    assert any(line.startswith("수수료") for line in lines), lines
    screen.click('[data-testid="quick-아니요"]')  # no guided walk, thank you
    screen.close()


def test_task_detail_shows_its_history(page) -> None:
    task_id = page.locator('[data-testid="goto-result-docent_1"]').get_attribute("data-task-id")
    # Finished, it has left the active list and is among the recently finished ones.
    row = page.locator(f'[data-testid="recent-{task_id}"]')
    row.wait_for(timeout=10000)
    row.click()
    history = page.locator('[data-testid="task-history"] li')
    history.first.wait_for(timeout=10000)
    statuses = [li.get_attribute("data-status") for li in history.all()]
    assert statuses[0] == "queued" and statuses[-1] == "completed"
    page.click('[data-testid="task-detail-close"]')


def test_estop_needs_confirmation_raises_an_alert_that_is_acknowledged(page) -> None:
    page.once("dialog", lambda dialog: dialog.dismiss())  # the operator thinks again
    page.click('[data-testid="cmd-estop-docent_1"]')
    page.wait_for_timeout(1000)
    assert page.locator('[data-testid="robot-docent_1"]').get_attribute("data-mode") != "estopped"

    page.once("dialog", lambda dialog: dialog.accept())
    page.click('[data-testid="cmd-estop-docent_1"]')
    page.wait_for_function("""() => document.querySelector('[data-testid="robot-docent_1"]')
        .getAttribute('data-mode') === 'estopped'""", timeout=10000)
    alert = page.locator('[data-testid="alerts"] li[data-code="robot_estopped"]')
    alert.wait_for(timeout=10000)
    assert page.locator('[data-testid="alerts-panel"]').get_attribute("data-count") != "0"
    alert.locator("button").click()
    alert.wait_for(state="detached", timeout=10000)

    page.click('[data-testid="cmd-release-docent_1"]')
    page.wait_for_function("""() => document.querySelector('[data-testid="robot-docent_1"]')
        .getAttribute('data-mode') === 'idle'""", timeout=10000)


def test_a_tour_shows_its_stop_and_time_left_on_the_dashboard(page, fleet) -> None:
    """The docent's tour guide reports "stop k of n, time left"; the dashboard shows it."""
    with urllib.request.urlopen(fleet.request(
            "/api/v1/robots/docent_1/commands",
            {"command": "start_tour", "tour_id": "highlights_30"}), timeout=10) as response:
        task_id = json.load(response)["task_id"]
    try:
        note = page.locator(f'[data-testid="task-note-{task_id}"]')
        page.wait_for_function(
            r"""(id) => /^1\/\d+ .+ min left$/.test(document.querySelector(
                `[data-testid="task-note-${id}"]`)?.textContent ?? '')""",
            arg=task_id, timeout=30000)
        assert " · " in note.inner_text()  # the stop in Korean, then English
        # The robot's own screen shows it to the guests: stop, time left, the group.
        screen = page.context.browser.new_page(locale="ko-KR")
        screen.goto(fleet.url + "/robot/docent_1")
        screen.wait_for_function(r"""() => /^1\/\d+ /.test(document.querySelector(
            '[data-testid="tour-label-ko"]').textContent)""", timeout=10000)
        assert screen.locator('[data-testid="tour"]').is_visible()
        assert "남은 시간" in screen.locator('[data-testid="tour-label-ko"]').inner_text()
        assert "left" in screen.locator('[data-testid="tour-label-en"]').inner_text()
        assert "with me" in screen.locator('[data-testid="tour-group"]').inner_text() or (
            "Waiting" in screen.locator('[data-testid="tour-group"]').inner_text())
        assert not screen.locator('[data-testid="rating"]').is_visible()
        screen.close()
        assert note.is_visible()
    finally:
        with urllib.request.urlopen(fleet.request(f"/api/v1/tasks/{task_id}/cancel", {}),
                                    timeout=10):
            pass
    page.wait_for_function("""() => document.querySelector('[data-testid="robot-docent_1"]')
        .getAttribute('data-mode') === 'idle'""", timeout=20000)


def test_a_guest_picks_a_suggested_course_on_the_docent_screen(page, fleet) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # idle, and an earlier test's tour reported ended
        state = fleet.get("/api/v1/robots/docent_1/screen")
        if state["mode"] == "idle" and (state["tour"] is None or state["tour"]["finished"]):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"docent_1 not idle: {state}")
    screen = page.context.browser.new_page(locale="ko-KR")
    screen.goto(fleet.url + "/robot/docent_1")
    screen.locator('[data-testid="suggest"]').wait_for(timeout=20000)  # idle docent: offered
    screen.click('#suggest [data-minutes="30"]')
    screen.wait_for_function("""() => document.querySelector('[data-testid="courses"]')
        .children.length > 0 || document.querySelector('[data-testid="suggest-notice"]')
        .textContent.length > 0""", timeout=10000)
    courses = screen.locator('[data-testid="courses"] li')
    if courses.count() == 0:  # the arboretum is closed at this hour: the screen says so
        assert " · " in screen.locator('[data-testid="suggest-notice"]').inner_text()
        screen.close()
        return
    first = courses.first
    assert "min" in first.inner_text() and "분" in first.inner_text()
    tour_id = first.get_attribute("data-testid").removeprefix("course-")
    first.locator("button").click()
    screen.wait_for_function(r"""() => /^1\/\d+ /.test(document.querySelector(
        '[data-testid="tour-label-ko"]').textContent)""", timeout=30000)
    assert not screen.locator('[data-testid="suggest"]').is_visible()  # touring now
    newest = fleet.get("/api/v1/tasks?robot_id=docent_1&type=run_tour&active=true")["items"][0]
    task = fleet.get(f"/api/v1/tasks/{newest['task_id']}")
    assert task["tour_id"] == tour_id and task["requester"] == "screen:docent_1"
    with urllib.request.urlopen(fleet.request(f"/api/v1/tasks/{task['task_id']}/cancel", {}),
                                timeout=10):
        pass
    page.wait_for_function("""() => document.querySelector('[data-testid="robot-docent_1"]')
        .getAttribute('data-mode') === 'idle'""", timeout=20000)
    screen.close()


def test_english_toggle_shows_the_dashboard_in_english_only(page, fleet) -> None:
    import re

    hangul = re.compile(r"[\uac00-\ud7af]")
    other = page.context.browser.new_page(locale="en-GB")  # its own storage: toggled alone
    other.goto(fleet.url + "/dashboard/")
    log_in(other)
    other.click('[data-testid="lang-toggle"]')  # reloads in English
    other.wait_for_function("() => document.documentElement.lang === 'en'", timeout=10000)
    other.locator('[data-testid="robot-lobby_1"]').wait_for(timeout=20000)
    other.wait_for_function("""() => document.getElementById('summary').textContent
        .includes('robot')""", timeout=10000)
    assert other.locator("h1").inner_text() == "Suwon Robot Fleet"
    for selector in ("#summary", '[data-testid="ws-status"]', '[data-testid="logout"]',
                     '[data-testid="robot-lobby_1"] header', '[data-testid="cmd-estop-lobby_1"]',
                     '[data-testid="goto-button-lobby_1"]', "#legend"):
        text = other.locator(selector).inner_text()
        assert text and not hangul.search(text), (selector, text)
    assert other.locator('[data-testid="lang-toggle"]').inner_text().startswith("한국어")
    other.click('[data-testid="lang-toggle"]')  # and back: Korean first, English alongside
    other.wait_for_function("() => document.documentElement.lang === 'ko'", timeout=10000)
    other.locator('[data-testid="logout"]').wait_for(timeout=10000)
    assert other.locator('[data-testid="logout"]').inner_text() == "로그아웃 · Log out"
    other.close()


def test_statistics_page_draws_the_days_work(page, fleet) -> None:
    stats = page.context.browser.new_page(locale="ko-KR")
    stats.goto(fleet.url + "/dashboard/")  # same tab session: log in there first
    log_in(stats)
    stats.goto(fleet.url + "/dashboard/stats.html")
    bars = stats.locator('[data-testid="chart-tasks"] rect')
    bars.first.wait_for(state="attached", timeout=10000)  # a zero-count day has no height
    assert bars.count() == 14
    assert sum(int(b.get_attribute("data-value")) for b in bars.all()) >= 1
    assert "tasks in 14 days" in stats.locator("#summary").inner_text()
    # What visitors asked the lobby robots (the concierge tests talked to lobby_1), in Korean.
    intents = stats.locator('[data-testid="chart-intents"] text.label')
    intents.first.wait_for(state="attached", timeout=10000)
    labels = intents.all_text_contents()
    assert "편의시설" in labels or "위치 문의" in labels, labels
    stats.close()


def test_official_call_queue_shows_who_is_coming(page, fleet) -> None:
    import json
    import urllib.request

    from tests.conftest import BOARD_TOKENS

    created = fleet.request("/api/v1/calls", {
        "robot_id": "lobby_1", "site_id": "city_hall", "place_id": "waiting_area",
        "topic": {"text": "인감증명 문의 · seal certificate", "service_id": None}})
    with urllib.request.urlopen(created, timeout=10) as response:
        call_id = json.load(response)["call_id"]
    row = page.locator(f'[data-testid="call-{call_id}"]')
    row.wait_for(timeout=10000)
    assert "인감증명 문의" in row.inner_text()
    accept = urllib.request.Request(
        f"{fleet.url}/api/v1/calls/board/{call_id}/accept", method="POST",
        data=json.dumps({"official_name": "박베테랑 주무관", "eta_minutes": 4}).encode(),
        headers={"X-Board-Token": BOARD_TOKENS["city_hall"], "Content-Type": "application/json"})
    urllib.request.urlopen(accept, timeout=10).close()
    page.wait_for_function(f"""() => document.querySelector('[data-testid="call-{call_id}"]')
        ?.getAttribute('data-status') === 'accepted'""", timeout=10000)
    assert "박베테랑 주무관" in row.inner_text() and "4" in row.inner_text()
