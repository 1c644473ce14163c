"""The dashboard in a real headless Chromium: both sites drawn, robots live, send one to a place."""

from __future__ import annotations

import math
import shutil

import pytest

from suwon_fleet.core.sites import load_fleet

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
        yield page
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


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
