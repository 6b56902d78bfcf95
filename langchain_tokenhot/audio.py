"""Turn Gemini speech output into a playable WAV file.

Gemini's text-to-speech models answer with raw 16-bit PCM, mono, 24 kHz, labelled
`audio/L16;codec=pcm;rate=24000`, with no file header, so most players cannot open it as is.
`audio_block_to_wav` wraps such an audio content block in a WAV header (and passes real WAV data
through); `pcm_to_wav` does the same for raw bytes. With `tts` a `ChatTokenhotGemini` on a TTS
model::

    msg = tts.invoke("Say hi")
    wav = audio_block_to_wav(msg.content_blocks[0])
    pathlib.Path("hi.wav").write_bytes(wav)
"""

from __future__ import annotations

import base64
import binascii
import io
import wave
from collections.abc import Mapping
from typing import Any

__all__ = ["audio_block_to_wav", "parse_pcm_mime", "pcm_to_wav"]

DEFAULT_SAMPLE_RATE = 24000
"""Gemini TTS output rate, used when the MIME type does not say."""

_PCM_TYPES = frozenset({"audio/l16", "audio/pcm", "audio/x-pcm", "audio/s16le"})
_WAV_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"})


def pcm_to_wav(
    pcm: bytes, *, sample_rate: int = DEFAULT_SAMPLE_RATE, channels: int = 1, sample_width: int = 2
) -> bytes:
    """Wrap raw little-endian PCM samples in a WAV (RIFF) header.

    Args:
        pcm: interleaved samples; 16-bit signed little-endian for the default `sample_width=2`.
        sample_rate: frames per second (Gemini TTS: 24000).
        channels: 1 for mono (Gemini TTS), 2 for stereo.
        sample_width: bytes per sample (2 = 16-bit).

    Returns:
        The complete WAV file.

    Raises:
        ValueError: a parameter is out of range, or `pcm` is not a whole number of frames.
    """
    if sample_rate <= 0 or channels <= 0 or sample_width not in (1, 2, 3, 4):
        msg = (
            "pcm_to_wav needs sample_rate > 0, channels > 0 and sample_width in 1..4, got "
            f"sample_rate={sample_rate}, channels={channels}, sample_width={sample_width}"
        )
        raise ValueError(msg)
    frame_size = channels * sample_width
    if len(pcm) % frame_size:
        msg = (
            f"PCM data of {len(pcm)} bytes is not a whole number of {frame_size}-byte frames "
            f"({channels} channel(s) x {sample_width} byte(s)); the audio may be truncated"
        )
        raise ValueError(msg)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(sample_width)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def parse_pcm_mime(mime: str) -> int:
    """The sample rate of a PCM MIME type such as `audio/L16;codec=pcm;rate=24000`.

    Returns:
        The `rate` parameter, or 24000 (Gemini's TTS rate) when there is none.

    Raises:
        ValueError: `rate` is present but not a positive integer.
    """
    rate = _mime_params(mime).get("rate")
    if rate is None:
        return DEFAULT_SAMPLE_RATE
    return _positive_int(rate, "sample rate", mime)


def audio_block_to_wav(block: Mapping[str, Any]) -> bytes:
    """WAV file bytes for a LangChain audio content block.

    Accepts a standard block, `{"type": "audio", "base64": ..., "mime_type": ...}` (or the v0
    form with `data`). Raw PCM (`audio/L16`, `audio/pcm`; rate and channels from the MIME
    parameters, 16-bit) gets a WAV header; data that already is a WAV file is returned decoded,
    unchanged. Data labelled `audio/wav` that has no RIFF header is taken to be raw 24 kHz PCM,
    since some TTS models label their PCM that way.

    Raises:
        ValueError: the block holds no inline audio data, its base64 is invalid, or it is
            neither PCM nor WAV (e.g. `audio/mp3`, which needs no wrapping).
    """
    block_type = block.get("type")
    raw = block.get("base64", block.get("data"))
    if isinstance(raw, str):
        try:
            data = base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError) as exc:
            msg = f"The {block_type!r} block's base64 data is invalid: {exc}"
            raise ValueError(msg) from None
    elif isinstance(raw, (bytes, bytearray, memoryview)):
        data = bytes(raw)
    else:
        msg = (
            f"The {block_type!r} block holds no inline audio ('base64' or 'data'); "
            "URL and file-id audio blocks must be fetched first"
        )
        raise ValueError(msg)
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return data
    mime = block.get("mime_type") or block.get("mimeType")
    mime = mime if isinstance(mime, str) else ""
    base = mime.split(";", 1)[0].strip().lower()
    if base in _PCM_TYPES or base in _WAV_TYPES:
        channels = _positive_int(_mime_params(mime).get("channels", "1"), "channel count", mime)
        # RFC 2586 makes L16 big-endian, but Gemini sends little-endian samples under that
        # label, which is already WAV's byte order: no swapping.
        return pcm_to_wav(data, sample_rate=parse_pcm_mime(mime), channels=channels)
    label = f"is {mime!r}" if mime else "has no MIME type"
    msg = (
        f"The {block_type!r} block's audio {label}, not raw PCM or WAV; write its decoded "
        "bytes out as they are, or call pcm_to_wav() if it is raw PCM"
    )
    raise ValueError(msg)


def _positive_int(text: str, what: str, mime: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        msg = f"Bad {what} {text!r} in MIME type {mime!r}"
        raise ValueError(msg)
    return value


def _mime_params(mime: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in mime.split(";")[1:]:
        key, sep, value = item.partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"')
    return params
