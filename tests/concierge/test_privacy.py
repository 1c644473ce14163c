"""Transcript privacy: redaction and the SQLite transcript log with retention."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from suwon_fleet.concierge.privacy import NAME, PHONE, RRN, TranscriptLog, redact


@pytest.mark.parametrize(("text", "expected"), [
    ("제 번호는 010-1234-5678이에요", f"제 번호는 {PHONE}이에요"),
    ("01012345678로 연락 주세요", f"{PHONE}로 연락 주세요"),
    ("010 1234 5678", PHONE),
    ("시청 031-228-1234 맞죠", f"시청 {PHONE} 맞죠"),
    ("02-123-4567", PHONE),
    ("1588-1234로 하면 돼요", f"{PHONE}로 하면 돼요"),
    ("공일공 일이삼사 오육칠팔로 전화 주세요", f"{PHONE}로 전화 주세요"),
    ("공일공에 구팔칠육에 오사삼이", PHONE),
    ("제 번호는 공일공 1234 5678", f"제 번호는 {PHONE}"),
    ("주민번호는 900101-1234567입니다", f"주민번호는 {RRN}입니다"),
    ("9001012345678", RRN),
    ("제 이름은 김철수입니다", f"제 이름은 {NAME}입니다"),
    ("이름이 박영희예요", f"이름이 {NAME}예요"),
    ("저는 김철수예요", f"저는 {NAME}예요"),
    ("홍길동이라고 합니다", f"{NAME}이라고 합니다"),
    ("저 김영수인데요 여권 찾으러 왔어요", f"저 {NAME}인데요 여권 찾으러 왔어요"),
    ("메일은 kim@example.com 입니다", "메일은 [이메일] 입니다"),
])
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "주민등록등본 두 통 떼러 왔어요",
    "저는 학생이에요",
    "이사 왔어요 전입신고 하려고요",
    "사이사이 일이 많아요",
    "2025년 3월 4일에 왔어요",
    "1번 창구 어디예요",
    "수수료 1,000원이에요",
    "세정과 031 번호가 뭐예요",
])
def test_ordinary_speech_is_kept(text: str) -> None:
    assert redact(text) == text


def test_log_stores_only_redacted_text_in_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.db"
    log = TranscriptLog(path, retention_days=30, clock=lambda: 1_000_000.0)
    log.add("visit-1", "visitor", "제 이름은 김철수입니다. 010-1234-5678로 연락 주세요")
    log.add("visit-1", "robot", "네, 무엇을 도와드릴까요?")
    log.add("visit-2", "visitor", "주민번호 900101-1234567")
    log.close()
    raw = sqlite3.connect(path)  # read back independently: nothing personal on disk
    texts = [row[0] for row in raw.execute("SELECT text FROM concierge_transcript")]
    raw.close()
    assert len(texts) == 3
    joined = " ".join(texts)
    assert "김철수" not in joined and "5678" not in joined and "1234567" not in joined
    assert NAME in joined and PHONE in joined and RRN in joined
    assert path.read_bytes().find("김철수".encode()) == -1


def test_retention_purges_old_rows() -> None:
    now = [0.0]
    conn = sqlite3.connect(":memory:")
    log = TranscriptLog(conn, retention_days=7, clock=lambda: now[0])
    log.add("a", "visitor", "화장실 어디예요")
    now[0] = 6 * 86400.0
    log.add("b", "visitor", "등본 떼려고요")
    assert [e.session for e in log.entries()] == ["a", "b"]
    now[0] = 7 * 86400.0 + 1
    assert log.purge() == 1
    assert [e.session for e in log.entries()] == ["b"]
    now[0] = 20 * 86400.0
    log.add("c", "robot", "안녕히 가세요")  # writing purges too
    assert [(e.session, e.speaker) for e in log.entries()] == [("c", "robot")]
    assert log.entries("c")[0].text == "안녕히 가세요"
    log.close()
    conn.execute("SELECT 1")  # a caller's connection stays open


def test_log_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        TranscriptLog(tmp_path / "x.db", retention_days=0)
    log = TranscriptLog(tmp_path / "x.db")
    with pytest.raises(ValueError):
        log.add("s", "someone", "hi")
    log.close()
