"""SSE decoder: framing as Google and gateways send it, split at every possible byte."""

from __future__ import annotations

import pytest

from langchain_tokenhot._sse import JSONArrayDecoder, SSEDecoder, StreamDecoder

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


# -- framings other gateways use (StreamDecoder picks the decoder from the first byte) --------

# Strings holding the framing's own punctuation: "]", '"', ", {" and "},{" (a false end).
EVENTS = [b'{"a": 1}', b'{"b": [2, "x]"]}', b'{"c": "q\\"uote, {brace"}', b'{"d": "x},{y}]"}']


def decode_stream(chunks: list[bytes]) -> list[bytes]:
    decoder = StreamDecoder()
    events: list[bytes] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    assert not decoder.pending
    return events


def framed(framing: str) -> bytes:
    if framing == "json-array":  # Google's :streamGenerateContent without alt=sse
        return b"[" + b",\r\n".join(EVENTS) + b"]"
    eol = {"crlf": b"\r\n", "lf": b"\n", "cr": b"\r"}[framing.split("+")[0]]
    body = b"".join(b"data: " + e + eol + eol for e in EVENTS)
    if "done" in framing:  # OpenAI-style relays
        body += b"data: [DONE]" + eol + eol
    if "pings" in framing:  # keep-alive comments before, between and after events
        body = b": ping" + eol + eol + body.replace(eol + eol, eol + eol + b": keep-alive" + eol)
    return body


FRAMINGS = ["crlf", "lf", "cr", "lf+done", "crlf+done+pings", "lf+pings", "json-array"]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_every_framing_whole(framing: str) -> None:
    assert decode_stream([framed(framing)]) == EVENTS


@pytest.mark.parametrize("framing", FRAMINGS)
def test_every_framing_split_at_every_byte(framing: str) -> None:
    body = framed(framing)
    for split in range(1, len(body)):
        assert decode_stream([body[:split], body[split:]]) == EVENTS, split


@pytest.mark.parametrize("framing", FRAMINGS)
def test_every_framing_byte_by_byte(framing: str) -> None:
    assert decode_stream([bytes([b]) for b in framed(framing)]) == EVENTS


def test_done_sentinel_is_not_an_event_even_unterminated() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a": 1}\n\ndata: [DONE]') == [b'{"a": 1}']
    assert decoder.flush() == []


def test_json_array_yields_each_element_as_soon_as_it_is_complete() -> None:
    decoder = JSONArrayDecoder()
    assert decoder.feed(b'[{"a": 1},') == []  # complete once the next element starts
    assert decoder.feed(b' {"b": "\\\\"}') == [b'{"a": 1}']
    assert decoder.feed(b"\n]") == [b'{"b": "\\\\"}']
    assert not decoder.pending


def test_json_array_cut_mid_element_is_flushed_for_the_caller_to_reject() -> None:
    decoder = StreamDecoder()
    assert decoder.feed(b'[{"a": 1}, {"b": [1, 2') == [b'{"a": 1}']
    assert decoder.pending
    assert decoder.flush() == [b'{"b": [1, 2']


def test_escaped_quote_split_across_reads() -> None:
    body = b'[{"t": "a\\", ]"}, {"u": 2}]'
    backslash = body.index(b"\\")
    assert decode_stream([body[: backslash + 1], body[backslash + 1 :]]) == [
        b'{"t": "a\\", ]"}',
        b'{"u": 2}',
    ]


def test_single_json_object_body_is_not_a_stream() -> None:
    # A gateway that answered a stream request with one JSON body: no events, so the transport
    # reports a stream that never reached its end (tests/reliability covers that path).
    decoder = StreamDecoder()
    assert decoder.feed(b'{"candidates": []}') == []
    assert decoder.flush() == []


def test_empty_array_and_empty_body() -> None:
    assert decode_stream([b"[ ]"]) == []
    assert decode_stream([b""]) == []


def test_json_array_decoder_given_something_else_hands_it_all_to_flush() -> None:
    decoder = JSONArrayDecoder()
    assert decoder.feed(b'{"a": 1}, ') == [] and decoder.feed(b'{"b": 2}') == []
    assert decoder.flush() == [b'{"a": 1}, {"b": 2}']
