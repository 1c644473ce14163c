"""Concierge fixtures: the shipped content and the indexes, built once per session (kiwipiepy
takes ~2 s to load; every test after the first reuses it)."""

from __future__ import annotations

import pytest

from suwon_fleet.concierge.content import Content, load_content
from suwon_fleet.concierge.intents import IntentRecognizer
from suwon_fleet.concierge.search import CivilServiceSearch


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="session")
def search(content: Content) -> CivilServiceSearch:
    return CivilServiceSearch(content)


@pytest.fixture(scope="session")
def recognizer(content: Content) -> IntentRecognizer:
    return IntentRecognizer(content)
