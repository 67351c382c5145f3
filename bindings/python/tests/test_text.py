"""Whatever the text, a query answers: Unicode, bytes, hostile syntax, 10 MB."""

from __future__ import annotations

import time

import pytest
from helpers import SESSION_ID, SESSION_TEXT

import fixbook


@pytest.mark.parametrize(
    "text",
    [
        "“Session token not found or invalid”",  # curly quotes
        "Erreur : « Session token not found or invalid » — réessayez 🙁",
        "セッション: Session token not found or invalid (認証エラー)",
        "SESSION TOKEN NOT FOUND OR INVALID",
        "Session\ttoken\n\nnot found   or invalid",
    ],
)
def test_unicode_and_spacing(engine: fixbook.Engine, text: str) -> None:
    assert engine.search(text)[0].id == SESSION_ID


@pytest.mark.parametrize(
    "text",
    ['error: "timeout" AND (x', "-x NOT y:z [a TO b] {}", "\\", "*?", "\x00\x01\x02", "🙂" * 500],
)
def test_query_syntax_never_fails(engine: fixbook.Engine, text: str) -> None:
    assert isinstance(engine.search(text), list)
    assert isinstance(engine.diagnose(text), fixbook.Diagnosis)


def test_bytes_and_invalid_utf8(engine: fixbook.Engine) -> None:
    assert engine.search(SESSION_TEXT.encode())[0].id == SESSION_ID
    assert engine.search(bytearray(SESSION_TEXT.encode()))[0].id == SESSION_ID
    d = engine.diagnose(b"\xff\xfe " + SESSION_TEXT.encode() + b" \xc3")
    assert d.top is not None and d.top.id == SESSION_ID
    assert any("UTF-8" in n for n in d.notes)


def test_lone_surrogates_are_replaced(engine: fixbook.Engine) -> None:
    d = engine.diagnose("\udcff " + SESSION_TEXT)
    assert d.top is not None and d.top.id == SESSION_ID
    # the engine decodes the str's UTF-8 (surrogates kept) as any bytes, with its note
    assert any("not valid UTF-8" in n for n in d.notes)


def test_ten_megabytes(engine: fixbook.Engine) -> None:
    filler = "INFO 2026-01-01T00:00:00Z request handled in 3 ms by worker-7\n"
    n = 10 * 1024 * 1024 // len(filler)
    text = filler * (n // 2) + "ERROR " + SESSION_TEXT + "\n" + filler * (n - n // 2)
    assert len(text) >= 10 * 1024 * 1024
    start = time.perf_counter()
    d = engine.diagnose(text, limit=3)
    elapsed = time.perf_counter() - start
    assert d.top is not None and d.top.id == SESSION_ID
    assert elapsed < 120
    assert engine.search(text.encode(), limit=1)[0].id == SESSION_ID
