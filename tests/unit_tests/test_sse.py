"""SSE decoder: framing as Google and gateways send it, split at every possible byte."""

from __future__ import annotations

import pytest

from langchain_tokenhot._sse import SSEDecoder

STREAM = b'data: {"a": 1}\r\n\r\ndata: {"b": 2}\r\n\r\n'


def decode_all(chunks: list[bytes]) -> list[bytes]:
    decoder = SSEDecoder()
    events: list[bytes] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    # A CR-only stream's last line end is known only at EOF, where the transport flushes.
    events.extend(decoder.flush())
    assert not decoder.pending
    return events


def test_crlf_events() -> None:
    assert decode_all([STREAM]) == [b'{"a": 1}', b'{"b": 2}']


@pytest.mark.parametrize("split", range(1, len(STREAM)))
def test_split_anywhere(split: int) -> None:
    assert decode_all([STREAM[:split], STREAM[split:]]) == [b'{"a": 1}', b'{"b": 2}']


def test_byte_by_byte() -> None:
    assert decode_all([bytes([b]) for b in STREAM]) == [b'{"a": 1}', b'{"b": 2}']


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_line_endings(newline: bytes) -> None:
    stream = b"data: x" + newline + newline + b"data: y" + newline + newline
    assert decode_all([stream]) == [b"x", b"y"]


def test_multiline_data_joined_with_lf() -> None:
    assert decode_all([b'data: {\ndata:  "a": 1}\n\n']) == [b'{\n "a": 1}']


def test_comments_and_other_fields_ignored() -> None:
    stream = b": keep-alive\n\nevent: message\nid: 7\nretry: 10\ndata: x\n\n"
    assert decode_all([stream]) == [b"x"]


def test_data_without_space() -> None:
    assert decode_all([b"data:x\n\n"]) == [b"x"]


def test_unfinished_event_is_pending_and_flushed() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a": 1}\r\n\r\ndata: {"b"') == [b'{"a": 1}']
    assert decoder.pending
    assert decoder.flush() == [b'{"b"']
    assert not decoder.pending


def test_flush_of_final_line_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a": 1}') == []
    assert decoder.flush() == [b'{"a": 1}']


def test_flush_empty() -> None:
    decoder = SSEDecoder()
    decoder.feed(STREAM)
    assert decoder.flush() == []
