"""The call-board page in a real headless Chromium against a bridge served by uvicorn."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from suwon_web_bridge.calls import CallService, CallStore

from .city_call_system import UvicornThread
from .conftest import BOARD_TOKEN, bridge_app, call_body, free_port, make_settings

if TYPE_CHECKING:
    from playwright.sync_api import Locator

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Generous: a busy CI machine can take seconds per poll-and-render cycle.
WAIT_MS = 15_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, CallStore]]:
    store = CallStore(tmp_path / "board.db")
    service = CallService(store, make_settings(url=None))
    server = UvicornThread(bridge_app(service, lifespan=True), free_port())
    server.start()
    yield server.base_url, store
    server.stop()
    store.close()


def test_official_answers_a_call_on_the_board(served: tuple[str, CallStore]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, store = served
    robot = httpx.Client(base_url=base)
    first = robot.post("/api/v1/calls", json=call_body()).json()["call_id"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        page = browser.new_page(locale="ko-KR")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/callboard/")

        page.fill("#token", "not-the-token")
        page.click("#login-form button[type=submit]")
        expect(page.locator("#banner")).to_contain_text("Invalid token", timeout=WAIT_MS)
        expect(page.locator("#login")).to_be_visible(timeout=WAIT_MS)

        page.fill("#token", BOARD_TOKEN)
        page.click("#login-form button[type=submit]")
        card = page.locator(f'[data-call-id="{first}"]')

        def part(role: str) -> Locator:
            return card.locator(f'[data-role="{role}"]')

        expect(card).to_contain_text("여권 재발급", timeout=WAIT_MS)
        expect(part("priority")).to_have_text("긴급 · Urgent", timeout=WAIT_MS)
        expect(part("language")).to_have_text("영어 · English", timeout=WAIT_MS)
        expect(page.locator('[data-testid="site"]')).to_contain_text("city_hall",
                                                                     timeout=WAIT_MS)

        # A new call appears without reloading (live refresh), flagged as fresh.
        second = robot.post("/api/v1/calls", json=call_body(priority="normal")).json()[
            "call_id"]
        expect(page.locator(f'[data-call-id="{second}"]')).to_have_class("call fresh",
                                                                          timeout=WAIT_MS)

        card.locator('[data-testid="accept"]').click()  # no name yet: refused on the page
        expect(page.locator("#banner")).to_contain_text("Enter your name", timeout=WAIT_MS)
        card.locator('[data-testid="official-name"]').fill("정다산 주무관")
        card.locator('[data-testid="eta"]').select_option("10")
        card.locator('[data-testid="accept"]').click()
        expect(part("status")).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)
        expect(part("official")).to_contain_text("정다산 주무관 · 10분", timeout=WAIT_MS)
        card.locator('[data-testid="arrived"]').click()
        expect(part("status")).to_have_attribute("data-status", "arrived", timeout=WAIT_MS)
        card.locator('[data-testid="close"]').click()
        expect(card).to_have_count(0, timeout=WAIT_MS)
        expect(page.locator(f'[data-call-id="{second}"]')).to_be_visible(timeout=WAIT_MS)
        browser.close()
    robot.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    stored = store.get(first)
    assert (stored.status.value, stored.official_name, stored.eta_minutes) == (
        "closed", "정다산 주무관", 10)
    assert [e.source.value for e in stored.events][2:] == ["board", "board", "board"]
