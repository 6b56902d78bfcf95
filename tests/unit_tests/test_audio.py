"""Tests for `langchain_tokenhot.audio`: Gemini PCM output → WAV."""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

from langchain_tokenhot.audio import audio_block_to_wav, parse_pcm_mime, pcm_to_wav

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"


def tone(frames: int, channels: int = 1, rate: int = 24000) -> bytes:
    """A 440 Hz sine as signed 16-bit little-endian PCM."""
    values = [
        int(12000 * math.sin(2 * math.pi * 440 * i / rate))
        for i in range(frames)
        for _ in range(channels)
    ]
    return struct.pack(f"<{len(values)}h", *values)


def read_wav(data: bytes) -> tuple[int, int, int, int, bytes]:
    with wave.open(io.BytesIO(data), "rb") as wav:
        return (
            wav.getframerate(),
            wav.getnchannels(),
            wav.getsampwidth(),
            wav.getnframes(),
            wav.readframes(wav.getnframes()),
        )


# --------------------------------------------------------------------------- pcm_to_wav


@pytest.mark.parametrize(
    ("rate", "channels", "width", "frames"),
    [
        (24000, 1, 2, 2400),
        (16000, 2, 2, 1600),
        (44100, 1, 1, 441),
        (48000, 2, 3, 10),
        (8000, 1, 4, 1),
        (24000, 1, 2, 0),
    ],
)
def test_pcm_to_wav_round_trips(rate: int, channels: int, width: int, frames: int) -> None:
    pcm = bytes(range(256)) * (frames * channels * width // 256) + bytes(
        frames * channels * width % 256
    )
    wav_bytes = pcm_to_wav(pcm, sample_rate=rate, channels=channels, sample_width=width)
    assert wav_bytes[:4] == b"RIFF"
    assert wav_bytes[8:12] == b"WAVE"
    assert read_wav(wav_bytes) == (rate, channels, width, frames, pcm)
    assert len(wav_bytes) == 44 + len(pcm)


def test_pcm_to_wav_defaults_are_gemini_tts() -> None:
    pcm = tone(240)
    assert read_wav(pcm_to_wav(pcm)) == (24000, 1, 2, 240, pcm)


@pytest.mark.parametrize(
    ("pcm", "kwargs", "fragment"),
    [
        (b"\x00\x01\x02", {}, "whole number of 2-byte frames"),
        (b"\x00\x01", {"channels": 2}, "4-byte frames"),
        (b"\x00\x00", {"sample_rate": 0}, "sample_rate"),
        (b"\x00\x00", {"channels": 0}, "channels"),
        (b"\x00\x00", {"sample_width": 5}, "sample_width"),
    ],
)
def test_pcm_to_wav_rejects_bad_input(pcm: bytes, kwargs: dict[str, int], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        pcm_to_wav(pcm, **kwargs)


# --------------------------------------------------------------------------- parse_pcm_mime


@pytest.mark.parametrize(
    ("mime", "rate"),
    [
        ("audio/L16;codec=pcm;rate=24000", 24000),
        ("audio/L16;rate=16000", 16000),
        ("audio/L16; codec=pcm; RATE=44100", 44100),
        ('audio/L16;rate="8000"', 8000),
        ("audio/pcm", 24000),
        ("audio/L16;codec=pcm", 24000),
        ("audio/wav", 24000),
        ("", 24000),
    ],
)
def test_parse_pcm_mime(mime: str, rate: int) -> None:
    assert parse_pcm_mime(mime) == rate


@pytest.mark.parametrize("mime", ["audio/L16;rate=abc", "audio/L16;rate=0", "audio/L16;rate=-8000"])
def test_parse_pcm_mime_rejects_bad_rate(mime: str) -> None:
    with pytest.raises(ValueError, match="sample rate"):
        parse_pcm_mime(mime)


# --------------------------------------------------------------------------- audio_block_to_wav

PCM = tone(480)
PCM_B64 = base64.b64encode(PCM).decode()
REAL_WAV = pcm_to_wav(tone(100, rate=16000), sample_rate=16000)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            {"type": "audio", "base64": PCM_B64, "mime_type": "audio/L16;codec=pcm;rate=24000"},
            (24000, 1, 2, 480, PCM),
        ),
        (
            {"type": "audio", "base64": PCM_B64, "mime_type": "audio/L16;rate=16000"},
            (16000, 1, 2, 480, PCM),
        ),
        ({"type": "audio", "base64": PCM_B64, "mime_type": "audio/pcm"}, (24000, 1, 2, 480, PCM)),
        (
            {"type": "audio", "base64": PCM_B64, "mime_type": "audio/L16;rate=24000;channels=2"},
            (24000, 2, 2, 240, PCM),
        ),
        (  # mislabelled raw PCM (reported from newer TTS models)
            {"type": "audio", "base64": PCM_B64, "mime_type": "audio/wav"},
            (24000, 1, 2, 480, PCM),
        ),
        (
            {"type": "audio", "base64": PCM, "mime_type": "audio/L16;rate=24000"},
            (24000, 1, 2, 480, PCM),
        ),
        (  # v0 form
            {
                "type": "audio",
                "source_type": "base64",
                "data": PCM_B64,
                "mime_type": "audio/L16;rate=24000",
            },
            (24000, 1, 2, 480, PCM),
        ),
        (
            {"type": "audio", "base64": PCM_B64, "mimeType": "audio/L16;rate=22050"},
            (22050, 1, 2, 480, PCM),
        ),
    ],
)
def test_audio_block_to_wav_wraps_pcm(block: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert read_wav(audio_block_to_wav(block)) == expected


@pytest.mark.parametrize("mime", ["audio/wav", "audio/x-wav", None, "audio/L16;rate=24000"])
def test_audio_block_to_wav_passes_real_wav_through(mime: str | None) -> None:
    block: dict[str, Any] = {"type": "audio", "base64": base64.b64encode(REAL_WAV).decode()}
    if mime:
        block["mime_type"] = mime
    assert audio_block_to_wav(block) == REAL_WAV


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        (
            {"type": "audio", "base64": PCM_B64, "mime_type": "audio/mp3"},
            "'audio/mp3', not raw PCM",
        ),
        ({"type": "audio", "base64": PCM_B64}, "no MIME type"),
        ({"type": "audio", "url": "https://e.com/a.wav"}, "no inline audio"),
        ({"type": "text", "text": "hello"}, "'text' block holds no inline audio"),
        ({"type": "audio", "base64": "abc", "mime_type": "audio/L16"}, "base64 data is invalid"),
        ({"type": "audio", "base64": "AAAA", "mime_type": "audio/L16"}, "whole number"),
        (
            {"type": "audio", "base64": PCM_B64, "mime_type": "audio/L16;channels=0"},
            "channel count",
        ),
        ({"type": "audio", "base64": PCM_B64, "mime_type": "audio/L16;rate=x"}, "sample rate"),
    ],
)
def test_audio_block_to_wav_errors(block: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        audio_block_to_wav(block)


def test_recorded_tts_sample() -> None:
    sample = SAMPLES / "tts_audio.json"
    part = json.loads(sample.read_text())["candidates"][0]["content"]["parts"][0]["inlineData"]
    block = {"type": "audio", "base64": part["data"], "mime_type": part["mimeType"]}
    rate, channels, width, frames, pcm = read_wav(audio_block_to_wav(block))
    assert (rate, channels, width) == (24000, 1, 2)
    assert frames == 48
    assert pcm == base64.b64decode(part["data"])
