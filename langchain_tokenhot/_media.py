"""Media content blocks → Gemini `Part` dicts (pure: no I/O).

The message converter hands every media-ish content block of a Human/Tool/AI message to
`media_block_to_part`, which returns exactly one Gemini part in wire (camelCase) form:

* `{"inlineData": {"mimeType", "data"}}` for base64 data, `data:` URLs, raw bytes, and http(s)
  URLs that the transport has already fetched (passed in as `downloads`);
* `{"fileData": {"mimeType"?, "fileUri"}}` for `gs://` URIs, YouTube links, Gemini Files-API
  URIs (`https://generativelanguage.googleapis.com/.../files/...` or bare `files/abc`), file ids
  and the Gemini-native `file_uri` / `file_data` forms;
* plus optional `videoMetadata`, `mediaResolution` and `thoughtSignature` on the part.

Accepted block forms: LangChain v1 data blocks (`image|audio|video|file` with `base64`, `url`
or `file_id`), LangChain v0 blocks (`source_type` = `base64|url|id|text`), OpenAI `image_url`,
`input_audio` and `file` blocks, the Gemini-native `media` block of langchain-google-genai, and
`inline_data` / `file_data` blocks.

URL policy: any http(s) URL other than YouTube and the Gemini API host is fetched (by
`_download`, under its server-side-request-forgery policy: non-public addresses refused, every
redirect hop checked) and inlined, because the Gemini Developer API only documents
`fileUri` for Files-API URIs and YouTube, and a reseller may not fetch arbitrary URLs. Use
`urls_to_download` to learn which URL a block needs. A Gemini-native `file_uri` is sent as given:
that is the escape hatch for models that accept arbitrary https `fileUri`s.

Base64 strings are passed through untouched (the same `str` object where the block holds plain
base64), so a 20 MB image is never decoded and re-encoded; only a short prefix is decoded when
the MIME type has to be sniffed.
"""

from __future__ import annotations

import base64
import binascii
import math
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import unquote_to_bytes, urlsplit

from ._exceptions import UnsupportedContentError

__all__ = [
    "MEDIA_BLOCK_TYPES",
    "Downloaded",
    "UnsupportedContentError",
    "media_block_to_part",
    "sniff_mime_type",
    "urls_to_download",
]

MEDIA_BLOCK_TYPES: frozenset[str] = frozenset(
    {
        "image",
        "audio",
        "video",
        "file",
        "image_url",
        "input_audio",
        "media",
        "inline_data",
        "file_data",
        "document",
    }
)
"""Content block `type`s that `media_block_to_part` handles."""


@dataclass(frozen=True, slots=True)
class Downloaded:
    """An http(s) URL fetched by the transport.

    Attributes:
        data: the response body.
        mime_type: the response's `Content-Type` header, if any (parameters allowed).
    """

    data: bytes
    mime_type: str | None


# --------------------------------------------------------------------------- public API


def media_block_to_part(
    block: Mapping[str, Any],
    downloads: Mapping[str, Downloaded],
    *,
    where: str | None = None,
) -> dict[str, Any]:
    """Convert one media content block into one Gemini part.

    Args:
        block: the content block (any form listed in the module docstring).
        downloads: bodies of the http(s) URLs returned by `urls_to_download`, keyed by URL.
        where: position of the block for error messages, e.g. `"messages[2].content[1]"`.

    Returns:
        A Gemini part dict in wire form, e.g. `{"inlineData": {"mimeType": ..., "data": ...}}`.

    Raises:
        UnsupportedContentError: the block cannot be expressed (unknown form, local path,
            unusable file id, MIME type unknown, bad option value), or an http(s) URL it needs
            is missing from `downloads` (a bug in the caller).
    """
    ctx = _Context(block, where)
    if not isinstance(block, Mapping):
        raise ctx.error("content blocks must be dicts; pass media as a dict with a 'type' key")
    if not _is_media(block):
        raise ctx.error(
            f"not a media block; media block types are {', '.join(sorted(MEDIA_BLOCK_TYPES))}"
        )
    source = _resolve_source(block, ctx)
    part: dict[str, Any]
    if source.kind == "text":
        part = {"text": source.value}
    elif source.kind == "uri":
        assert isinstance(source.value, str)
        file_data: dict[str, Any] = {}
        mime = source.mime_type or _mime_from_name(source.name)
        if mime:
            file_data["mimeType"] = mime
        file_data["fileUri"] = source.value
        part = {"fileData": file_data}
    else:
        part = {"inlineData": _inline_data(source, downloads, ctx)}
    _add_options(part, block, ctx)
    return part


def urls_to_download(block: Mapping[str, Any]) -> str | None:
    """The http(s) URL the transport must fetch before `media_block_to_part` can run.

    Returns None when the block needs no download: base64 data, `data:` URLs, `gs://`,
    YouTube and Gemini Files-API URIs, file ids, and blocks that are not valid media blocks
    (those are reported by `media_block_to_part`).
    """
    if not isinstance(block, Mapping) or not _is_media(block):
        return None
    try:
        source = _resolve_source(block, _Context(block, None))
    except UnsupportedContentError:
        return None
    if source.kind == "download":
        assert isinstance(source.value, str)
        return source.value
    return None


def sniff_mime_type(data: bytes) -> str | None:
    """Guess a MIME type from the first bytes of a file (magic numbers).

    Recognises png, jpeg, gif, webp, heic/heif/avif, pdf, wav, mp3 (ID3 tag or MPEG frame
    sync), flac, ogg, aac (ADTS/ADIF), aiff, mp4/mov/m4a/3gp (`ftyp` box), webm/mkv, mpeg
    (program stream / elementary video), MPEG-TS, avi, flv and wmv. Type names follow Gemini's
    documented list (e.g. `audio/mp3`, `audio/wav`, `video/mov`). Returns None if unknown;
    at most the first 256 bytes are looked at.
    """
    head = bytes(data[:256])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/avi"}.get(head[8:12])
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        # The first page holds the codec header; Theora means a video stream.
        return "video/ogg" if b"theora" in head else "audio/ogg"
    if head.startswith(b"ID3"):
        return "audio/mp3"
    if head.startswith(b"ADIF"):
        return "audio/aac"
    if head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head else "video/x-matroska"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "video/mpeg"
    if head.startswith(b"FLV\x01"):
        return "video/x-flv"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "video/wmv"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "video/mp2t"
    if len(head) >= 3 and head[0] == 0xFF:
        return _sniff_mpeg_audio_frame(head)
    return None


# --------------------------------------------------------------------------- internals

_SourceKind = Literal["inline", "uri", "download", "text"]


@dataclass(frozen=True, slots=True)
class _Source:
    kind: _SourceKind
    # inline: base64 str or raw bytes; uri/download: the URI; text: the text.
    value: str | bytes
    # The block's own MIME type, or one implied by the source (data URL, input_audio format).
    mime_type: str | None = None
    # A URL or file name whose extension can hint the MIME type.
    name: str | None = None


class _Context:
    """Describes the block in error messages."""

    __slots__ = ("block_type", "where")

    def __init__(self, block: object, where: str | None) -> None:
        if isinstance(block, Mapping):
            btype = block.get("type")
            self.block_type = f"{btype!r} content block" if btype else "untyped content block"
        else:
            self.block_type = f"content block of Python type {type(block).__name__}"
        self.where = where

    def error(self, reason: str) -> UnsupportedContentError:
        at = f" at {self.where}" if self.where else ""
        return UnsupportedContentError(f"Cannot send {self.block_type}{at} to Gemini: {reason}.")


def _is_media(block: Mapping[str, Any]) -> bool:
    # A str check first: an unhashable `type` must not raise TypeError on the set lookup.
    btype = block.get("type")
    return isinstance(btype, str) and btype in MEDIA_BLOCK_TYPES


def _resolve_source(block: Mapping[str, Any], ctx: _Context) -> _Source:
    btype = block.get("type")
    mime = _str_field(block, "mime_type", "mimeType")
    if btype == "image_url":
        image_url = block.get("image_url")
        url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
        return _from_url(url, mime, None, ctx, key="image_url.url")
    if btype == "input_audio":
        audio = block.get("input_audio")
        if not isinstance(audio, Mapping):
            raise ctx.error("'input_audio' must be a dict with 'data' and 'format'")
        fmt = audio.get("format")
        if mime is None and isinstance(fmt, str) and fmt:
            mime = _AUDIO_FORMAT_MIME.get(fmt.lower(), f"audio/{fmt.lower()}")
        return _from_data(audio.get("data"), mime, None, ctx, key="input_audio.data")
    if btype in ("inline_data", "file_data"):
        return _native_source(block, ctx)
    source = block.get("source")
    if isinstance(source, Mapping):
        return _anthropic_source(source, mime, ctx)
    if btype == "media":
        if "data" in block:
            return _from_data(block["data"], mime, None, ctx, key="data")
        uri = _str_field(block, "file_uri", "fileUri")
        if uri is not None:
            return _Source("uri", uri, mime, uri)
        if "url" in block:
            return _from_url(block["url"], mime, None, ctx, key="url")
        raise ctx.error("a 'media' block needs 'data' (base64 or bytes) or 'file_uri'")
    return _data_block_source(block, mime, ctx)


def _data_block_source(block: Mapping[str, Any], mime: str | None, ctx: _Context) -> _Source:
    """LangChain v0/v1 `image|audio|video|file` blocks and the OpenAI `file` block."""
    extras = block.get("extras")
    filename = _str_field(block, "filename") or (
        _str_field(extras, "filename") if isinstance(extras, Mapping) else None
    )
    if "source_type" in block:
        source_type = block["source_type"]
        if source_type == "base64":
            return _from_data(block.get("data"), mime, filename, ctx, key="data")
        if source_type == "url":
            return _from_url(block.get("url"), mime, filename, ctx, key="url")
        if source_type == "id":
            return _from_file_id(block.get("id"), mime, filename, ctx, key="id")
        if source_type == "text":
            text = block.get("url", block.get("text"))
            if isinstance(text, str):
                return _Source("text", text)
            raise ctx.error("a source_type 'text' block needs its text in 'url'")
        raise ctx.error(
            f"source_type {source_type!r} is not supported; use 'base64', 'url' or 'id'"
        )
    openai_file = block.get("file")
    if block.get("type") == "file" and isinstance(openai_file, Mapping):
        filename = _str_field(openai_file, "filename") or filename
        if "file_data" in openai_file:
            return _from_data(openai_file["file_data"], mime, filename, ctx, key="file.file_data")
        if "file_id" in openai_file:
            return _from_file_id(openai_file["file_id"], mime, filename, ctx, key="file.file_id")
        raise ctx.error("an OpenAI 'file' block needs 'file.file_data' or 'file.file_id'")
    # A block may carry several sources (e.g. a provider file id next to base64); prefer the
    # self-contained one, then a URL, and only then a file id, which is often another
    # provider's and useless here.
    if block.get("base64") is not None:
        return _from_data(block["base64"], mime, filename, ctx, key="base64")
    if block.get("data") is not None:
        return _from_data(block["data"], mime, filename, ctx, key="data")
    if block.get("url") is not None:
        return _from_url(block["url"], mime, filename, ctx, key="url")
    if block.get("file_id") is not None:
        return _from_file_id(block["file_id"], mime, filename, ctx, key="file_id")
    raise ctx.error("the block has none of 'base64', 'url' or 'file_id'")


def _anthropic_source(source: Mapping[str, Any], mime: str | None, ctx: _Context) -> _Source:
    """Anthropic-format `image` / `document` blocks: `{"source": {"type": ..., ...}}`."""
    kind = source.get("type")
    mime = mime or _str_field(source, "media_type")
    if kind == "base64":
        return _from_data(source.get("data"), mime, None, ctx, key="source.data")
    if kind == "url":
        return _from_url(source.get("url"), mime, None, ctx, key="source.url")
    if kind == "text":
        text = source.get("data")
        if isinstance(text, str):
            return _Source("text", text)
        raise ctx.error("a source of type 'text' needs its text in 'source.data'")
    if kind == "file":
        return _from_file_id(source.get("file_id"), mime, None, ctx, key="source.file_id")
    raise ctx.error(f"source type {kind!r} is not supported; use 'base64', 'url', 'text' or 'file'")


def _native_source(block: Mapping[str, Any], ctx: _Context) -> _Source:
    """`inline_data` / `file_data` blocks: the Gemini part body nested or flattened."""
    btype = block["type"]
    camel = "inlineData" if btype == "inline_data" else "fileData"
    inner = block.get(btype, block.get(camel, block))
    if not isinstance(inner, Mapping):
        raise ctx.error(f"{btype!r} must be a dict")
    mime = _str_field(inner, "mime_type", "mimeType") or _str_field(block, "mime_type", "mimeType")
    if btype == "inline_data":
        return _from_data(inner.get("data"), mime, None, ctx, key=f"{btype}.data")
    uri = _str_field(inner, "file_uri", "fileUri")
    if uri is None:
        raise ctx.error("a 'file_data' block needs 'file_uri'")
    return _Source("uri", uri, mime, uri)


def _from_data(
    data: object, mime: str | None, name: str | None, ctx: _Context, *, key: str
) -> _Source:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return _Source("inline", bytes(data), mime, name)
    if not isinstance(data, str) or not data:
        raise ctx.error(f"{key!r} must be a non-empty base64 string or bytes")
    if data[:5].lower() == "data:":
        return _from_data_url(data, mime, name, ctx)
    return _Source("inline", data, mime, name)


def _from_url(
    url: object, mime: str | None, name: str | None, ctx: _Context, *, key: str
) -> _Source:
    if not isinstance(url, str) or not url.strip():
        raise ctx.error(f"{key!r} must be a non-empty URL string")
    url = url.strip()
    if url[:5].lower() == "data:":
        return _from_data_url(url, mime, name, ctx)
    if _is_file_reference(url):
        return _Source("uri", url, mime, name or url)
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return _Source("download", url, mime, name or url)
    raise ctx.error(
        f"{key} {_short(url)!r} is not an http(s), gs:// or data: URL, nor a Gemini file "
        "name ('files/...'); local files are not read: pass the bytes as 'base64' with "
        "'mime_type'"
    )


def _from_file_id(
    file_id: object, mime: str | None, name: str | None, ctx: _Context, *, key: str
) -> _Source:
    if not isinstance(file_id, str) or not file_id.strip():
        raise ctx.error(f"{key!r} must be a non-empty string")
    file_id = file_id.strip()
    if _is_file_reference(file_id) or urlsplit(file_id).scheme.lower() in ("http", "https"):
        return _Source("uri", file_id, mime, name or file_id)
    raise ctx.error(
        f"{key} {_short(file_id)!r} is not a Gemini file URI; upload the file with the Gemini "
        "Files API and pass its name ('files/abc123') or URI, or send the data as 'base64'"
    )


def _from_data_url(url: str, mime: str | None, name: str | None, ctx: _Context) -> _Source:
    comma = url.find(",")
    if comma < 0:
        raise ctx.error("malformed data: URL (no ',' before the data)")
    params = url[5:comma].split(";")
    is_base64 = params[-1].strip().lower() == "base64"
    if is_base64:
        params = params[:-1]
    url_mime = ";".join(p.strip() for p in params) if params and params[0].strip() else None
    payload: str | bytes = url[comma + 1 :] if is_base64 else unquote_to_bytes(url[comma + 1 :])
    if not payload:
        raise ctx.error("the data: URL holds no data")
    return _Source("inline", payload, mime or url_mime, name)


def _inline_data(
    source: _Source, downloads: Mapping[str, Downloaded], ctx: _Context
) -> dict[str, str]:
    value = source.value
    mime = source.mime_type
    raw: bytes | None = value if isinstance(value, bytes) else None
    if source.kind == "download":
        assert isinstance(value, str)
        fetched = downloads.get(value)
        if fetched is None:
            raise ctx.error(
                f"URL {_short(value)!r} was not downloaded; the transport must fetch every URL "
                "returned by urls_to_download() and pass it in 'downloads'"
            )
        raw = fetched.data
        mime = mime or _clean_content_type(fetched.mime_type)
    mime = mime or _mime_from_name(source.name)
    if mime is None:
        head = raw[:256] if raw is not None else _b64_head(value)
        mime = sniff_mime_type(head)
    if mime is None:
        raise ctx.error(
            "its MIME type is unknown (none given and none could be inferred from the URL, "
            'file name or data); add "mime_type" to the block, e.g. '
            '{"mime_type": "image/png"}'
        )
    data = value if raw is None else base64.b64encode(raw).decode("ascii")
    assert isinstance(data, str)
    return {"mimeType": mime, "data": data}


def _add_options(part: dict[str, Any], block: Mapping[str, Any], ctx: _Context) -> None:
    video_metadata = _option(block, "video_metadata", "videoMetadata")
    if video_metadata is not None:
        normalised = _video_metadata(video_metadata, ctx)
        if normalised:
            part["videoMetadata"] = normalised
    resolution = _option(block, "media_resolution", "mediaResolution")
    if resolution is not None:
        part["mediaResolution"] = {"level": _media_resolution(resolution, ctx)}
    signature = _signature(block, ctx)
    if signature:
        part["thoughtSignature"] = signature


def _option(block: Mapping[str, Any], *names: str) -> Any:
    """An option on the block itself or in `extras` (where core moves unknown v0 keys)."""
    for name in names:
        if block.get(name) is not None:
            return block[name]
    extras = block.get("extras")
    if isinstance(extras, Mapping):
        for name in names:
            if extras.get(name) is not None:
                return extras[name]
    return None


def _signature(block: Mapping[str, Any], ctx: _Context) -> str | None:
    # The same places the message converter looks: genai keeps it in `extras["signature"]`.
    sig = _option(block, "thought_signature", "thoughtSignature", "signature")
    if sig is None or sig == "" or sig == b"":
        return None
    if isinstance(sig, str):
        return sig
    if isinstance(sig, (bytes, bytearray)):
        return base64.b64encode(sig).decode("ascii")
    raise ctx.error(f"its thought signature must be a base64 string, got {type(sig).__name__}")


_MEDIA_RESOLUTIONS = {
    "low": "MEDIA_RESOLUTION_LOW",
    "medium": "MEDIA_RESOLUTION_MEDIUM",
    "high": "MEDIA_RESOLUTION_HIGH",
    "ultra_high": "MEDIA_RESOLUTION_ULTRA_HIGH",
    "unspecified": "MEDIA_RESOLUTION_UNSPECIFIED",
}


def _media_resolution(value: object, ctx: _Context) -> str:
    if isinstance(value, Mapping):
        value = value.get("level")
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "_")
        key = key.removeprefix("media_resolution_")
        if key in _MEDIA_RESOLUTIONS:
            return _MEDIA_RESOLUTIONS[key]
    raise ctx.error(
        f"media_resolution {value!r} is not one of "
        f"{', '.join(repr(k) for k in _MEDIA_RESOLUTIONS if k != 'unspecified')} "
        "(or a full MEDIA_RESOLUTION_* name)"
    )


def _video_metadata(value: object, ctx: _Context) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ctx.error(
            "video_metadata must be a dict with start_offset / end_offset / fps, "
            f"got {type(value).__name__}"
        )
    out: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for key, raw in value.items():
        if raw is None:
            continue
        camel = _camel(str(key))
        if camel in ("startOffset", "endOffset"):
            out[camel], seconds[camel] = _duration(raw, camel, ctx)
        elif camel == "fps":
            if (
                isinstance(raw, bool)
                or not isinstance(raw, (int, float))
                or not (raw > 0 and math.isfinite(raw))
            ):
                raise ctx.error(f"video_metadata.fps must be a positive number, got {raw!r}")
            out["fps"] = raw
        else:
            # Unknown (newer) fields go through camelCased; the server validates them.
            out[camel] = raw
    start, end = seconds.get("startOffset"), seconds.get("endOffset")
    if start is not None and end is not None and start > end:
        raise ctx.error(
            f"video_metadata start_offset ({out['startOffset']}) is after "
            f"end_offset ({out['endOffset']})"
        )
    return out


def _duration(value: object, field: str, ctx: _Context) -> tuple[str, float]:
    """A proto-JSON Duration string ("10s", "1.5s") and its value in seconds."""
    secs: float | None = None
    if isinstance(value, bool):
        secs = None
    elif isinstance(value, (int, float)):
        secs = float(value)
    elif isinstance(value, timedelta):
        secs = value.total_seconds()
    elif isinstance(value, str):
        body = value.strip()
        try:
            secs = float(body[:-1] if body.endswith("s") else body)
        except ValueError:
            secs = None
    elif isinstance(value, Mapping):
        try:
            secs = float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
        except (TypeError, ValueError):
            secs = None
    if secs is None or not math.isfinite(secs) or secs < 0:
        raise ctx.error(
            f"video_metadata {_snake(field)} must be a non-negative number of seconds or a "
            f"duration string like '10s', got {value!r}"
        )
    # Re-rendered rather than passed through so "1e3s" or "10" come out in proto form.
    return f"{secs:.9f}".rstrip("0").rstrip(".") + "s", secs


# --------------------------------------------------------------------------- URL helpers

_FILES_NAME = re.compile(r"files/[^/\s?#]+")
_YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
    | {"youtube-nocookie.com", "www.youtube-nocookie.com"}
)
_YOUTUBE_PATHS = ("/watch", "/shorts/", "/live/", "/embed/", "/v/")


def _is_file_reference(url: str) -> bool:
    """Whether Gemini takes this as a `fileUri` (never downloaded by us)."""
    if _FILES_NAME.fullmatch(url):
        return True
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "gs":
        return True
    if scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    if host == "generativelanguage.googleapis.com":
        # Files-API URIs; nothing on this host can be fetched anonymously anyway.
        return True
    if host in ("youtu.be", "www.youtu.be"):
        return len(parts.path) > 1
    # Other YouTube URLs (thumbnails, channel pages) are ordinary downloads.
    return host in _YOUTUBE_HOSTS and parts.path.startswith(_YOUTUBE_PATHS)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- MIME helpers

# Gemini documents these names (audio/mp3, audio/wav, video/mov...) rather than the IANA ones,
# and `mimetypes` answers differ between machines (it reads /etc/mime.types), so the common
# media extensions are pinned here.
_EXTENSION_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
    ".pdf": "application/pdf",
    ".wav": "audio/wav",
    ".mp3": "audio/mp3",
    ".aif": "audio/aiff",
    ".aiff": "audio/aiff",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/mov",
    ".mpeg": "video/mpeg",
    ".mpg": "video/mpg",
    ".avi": "video/avi",
    ".flv": "video/x-flv",
    ".webm": "video/webm",
    ".wmv": "video/wmv",
    ".3gp": "video/3gpp",
    ".mkv": "video/x-matroska",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
}

_AUDIO_FORMAT_MIME = {"wav": "audio/wav", "mp3": "audio/mp3", "aiff": "audio/aiff"}

# Content-Type values that say nothing about the content.
_GENERIC_CONTENT_TYPES = frozenset(
    {"application/octet-stream", "binary/octet-stream", "application/binary", "application/unknown"}
)


def _mime_from_name(name: str | None) -> str | None:
    if not name or name[:5].lower() == "data:":
        return None
    path = urlsplit(name).path if "://" in name else name
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return None
    ext = path[dot:].lower()
    return _EXTENSION_MIME.get(ext) or mimetypes.guess_type("x" + ext, strict=False)[0]


def _clean_content_type(content_type: str | None) -> str | None:
    """A Content-Type header without parameters (charset...), None if uninformative."""
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    if not mime or "/" not in mime or mime in _GENERIC_CONTENT_TYPES:
        return None
    return mime


def _b64_head(data: str | bytes, chars: int = 344) -> bytes:
    """Decode only the start of a base64 string (344 chars → 258 bytes) for sniffing."""
    if isinstance(data, bytes):
        return data[:256]
    head = "".join(data[:chars].split()).translate(_URLSAFE_TO_STD)
    head = head[: len(head) - len(head) % 4]
    try:
        return base64.b64decode(head)
    except (binascii.Error, ValueError):
        return b""


_URLSAFE_TO_STD = str.maketrans("-_", "+/")


def _sniff_ftyp(head: bytes) -> str:
    major = head[8:12]
    size = int.from_bytes(head[0:4], "big")
    compatible = {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    brands = {major} | compatible
    if major in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"):
        return "image/heic"
    if major in (b"avif", b"avis"):
        return "image/avif"
    if major in (b"mif1", b"msf1", b"heif"):
        if b"avif" in brands:
            return "image/avif"
        return "image/heic" if brands & {b"heic", b"heix"} else "image/heif"
    if major == b"qt  ":
        return "video/mov"
    if major in (b"M4A ", b"M4B ", b"M4P "):
        return "audio/mp4"
    if major.startswith((b"3gp", b"3g2")):
        return "video/3gpp"
    return "video/mp4"


def _sniff_mpeg_audio_frame(head: bytes) -> str | None:
    """MPEG audio (mp3 without ID3 tag) or AAC ADTS, told apart by the layer bits."""
    b1, b2 = head[1], head[2]
    if b1 & 0xF6 == 0xF0:
        # Sync 0xFFF and layer 00: ADTS.
        return "audio/aac"
    version = (b1 >> 3) & 0b11
    layer = (b1 >> 1) & 0b11
    bitrate = b2 >> 4
    rate = (b2 >> 2) & 0b11
    if b1 & 0xE0 == 0xE0 and version != 0b01 and layer != 0 and bitrate != 0xF and rate != 0b11:
        return "audio/mp3"
    return None


# --------------------------------------------------------------------------- small utils


def _str_field(mapping: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = mapping.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
