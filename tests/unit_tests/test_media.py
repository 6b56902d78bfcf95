"""Tests for `langchain_tokenhot._media`: content block → Gemini part conversion."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from langchain_core.language_models._utils import _normalize_messages
from langchain_core.messages import HumanMessage

from langchain_tokenhot._exceptions import UnsupportedContentError as CentralError
from langchain_tokenhot._media import (
    MEDIA_BLOCK_TYPES,
    Downloaded,
    UnsupportedContentError,
    media_block_to_part,
    sniff_mime_type,
    urls_to_download,
)

# --------------------------------------------------------------------------- magic bytes

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
HEIF = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf"
HEIC_MIF1 = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heicmiaf"
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE\x00\x00\x00\x0f"
MP3_FRAME = b"\xff\xfb\x90\x64\x00\x00\x00\x00"  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
MP3_MPEG2_FRAME = b"\xff\xf3\x64\xc4\x00\x00\x00\x00"  # MPEG-2 layer III
AAC_ADTS = b"\xff\xf1\x50\x80\x02\x1f\xfc\x21"  # MPEG-4 ADTS, no CRC
AAC_ADTS_MPEG2 = b"\xff\xf9\x50\x80\x02\x1f\xfc\x21"
FLAC = b"fLaC\x00\x00\x00\x22\x10\x00\x10\x00"
OGG_VORBIS = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e\x01vorbis\x00\x00\x00\x00"
OGG_THEORA = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x2a\x80theora\x03\x02\x01"
AIFF = b"FORM\x00\x00\x10\x00AIFFCOMM\x00\x00\x00\x12"
AIFC = b"FORM\x00\x00\x10\x00AIFCFVER\x00\x00\x00\x04"
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  "
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom"
THREE_GP = b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x003gp4"
EBML = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82"
)
WEBM = EBML + b"\x84webm\x42\x87\x81\x04"
MKV = EBML + b"\x88matroska\x42\x87\x81\x04"
MPEG_PS = b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01\x01\x89\xc3\xf8"
MPEG_VIDEO = b"\x00\x00\x01\xb3\x14\x00\xf0\x13\xff\xff\xe0\x18"
AVI = b"RIFF\x00\x10\x00\x00AVI LIST\x00\x00\x00\x00"
FLV = b"FLV\x01\x05\x00\x00\x00\x09"
WMV = b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"
MPEG_TS = (b"\x47\x40\x00\x10" + b"\x00" * 184) * 2

SNIFF_CASES = [
    ("png", PNG, "image/png"),
    ("jpeg", JPEG, "image/jpeg"),
    ("gif", GIF, "image/gif"),
    ("webp", WEBP, "image/webp"),
    ("heic", HEIC, "image/heic"),
    ("heif-mif1", HEIF, "image/heif"),
    ("heic-via-mif1", HEIC_MIF1, "image/heic"),
    ("avif", AVIF, "image/avif"),
    ("pdf", PDF, "application/pdf"),
    ("wav", WAV, "audio/wav"),
    ("mp3-id3", MP3_ID3, "audio/mp3"),
    ("mp3-frame-sync", MP3_FRAME, "audio/mp3"),
    ("mp3-mpeg2-frame", MP3_MPEG2_FRAME, "audio/mp3"),
    ("aac-adts", AAC_ADTS, "audio/aac"),
    ("aac-adts-mpeg2", AAC_ADTS_MPEG2, "audio/aac"),
    ("aac-adif", b"ADIF\x00\x00\x00\x00", "audio/aac"),
    ("flac", FLAC, "audio/flac"),
    ("ogg-vorbis", OGG_VORBIS, "audio/ogg"),
    ("ogg-theora", OGG_THEORA, "video/ogg"),
    ("aiff", AIFF, "audio/aiff"),
    ("aifc", AIFC, "audio/aiff"),
    ("mp4", MP4, "video/mp4"),
    ("mov", MOV, "video/mov"),
    ("m4a", M4A, "audio/mp4"),
    ("3gp", THREE_GP, "video/3gpp"),
    ("webm", WEBM, "video/webm"),
    ("mkv", MKV, "video/x-matroska"),
    ("mpeg-ps", MPEG_PS, "video/mpeg"),
    ("mpeg-video", MPEG_VIDEO, "video/mpeg"),
    ("avi", AVI, "video/avi"),
    ("flv", FLV, "video/x-flv"),
    ("wmv", WMV, "video/wmv"),
    ("mpeg-ts", MPEG_TS, "video/mp2t"),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in SNIFF_CASES], ids=[c[0] for c in SNIFF_CASES]
)
def test_sniff_mime_type(data: bytes, expected: str) -> None:
    assert sniff_mime_type(data) == expected
    # Trailing content must not change the answer.
    assert sniff_mime_type(data + b"\x00" * 4096) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world, plain text",
        b"\xff",
        b"\xff\xd8",
        b"\xff\x00\x00\x00",  # 0xFF without frame sync
        b"\xff\xff\xff\xff",  # frame sync with reserved/bad fields
        b"RIFF\x00\x00\x00\x00XXXX",
        b"\x00\x00\x00\x00",
        b'{"json": true}',
    ],
)
def test_sniff_mime_type_unknown(data: bytes) -> None:
    assert sniff_mime_type(data) is None


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in SNIFF_CASES], ids=[c[0] for c in SNIFF_CASES]
)
def test_sniffed_from_base64_without_mime(data: bytes, expected: str) -> None:
    b64 = base64.b64encode(data + b"\x01" * 1000).decode()
    part = media_block_to_part({"type": "file", "base64": b64}, {})
    assert part == {"inlineData": {"mimeType": expected, "data": b64}}
    assert part["inlineData"]["data"] is b64


def test_sniff_urlsafe_and_wrapped_base64() -> None:
    data = PNG + bytes(range(256)) * 2
    urlsafe = base64.urlsafe_b64encode(data).decode()
    assert "-" in urlsafe or "_" in urlsafe
    part = media_block_to_part({"type": "image", "base64": urlsafe}, {})
    assert part["inlineData"]["mimeType"] == "image/png"
    wrapped = base64.encodebytes(data).decode()  # newline every 76 chars
    part = media_block_to_part({"type": "image", "base64": wrapped}, {})
    assert part == {"inlineData": {"mimeType": "image/png", "data": wrapped}}


# --------------------------------------------------------------------------- conversion table

PNG_B64 = base64.b64encode(PNG).decode()
JPEG_B64 = base64.b64encode(JPEG).decode()
PDF_B64 = base64.b64encode(PDF).decode()
WAV_B64 = base64.b64encode(WAV).decode()
MP3_B64 = base64.b64encode(MP3_ID3).decode()
MP4_B64 = base64.b64encode(MP4).decode()
SIG = "EoClMgr8pDIBcsjafDkzii4l2tf87/xNdZVkMykd2SbZMSJGO2z9oHcq8eG4"

DOWNLOADS = {
    "https://example.com/cat.png": Downloaded(PNG, "image/png"),
    "https://example.com/cat": Downloaded(JPEG, "image/jpeg; charset=binary"),
    "https://example.com/generic.pdf?sig=1": Downloaded(PDF, "application/octet-stream"),
    "https://example.com/blob": Downloaded(MP4, None),
    "https://cdn.example.com/s3": Downloaded(WAV, "binary/octet-stream"),
    "https://example.com/clip.mp4": Downloaded(MP4, "video/mp4"),
    "https://img.youtube.com/vi/abc/0.jpg": Downloaded(JPEG, "image/jpeg"),
}


def inline(mime: str, data: str) -> dict[str, Any]:
    return {"inlineData": {"mimeType": mime, "data": data}}


def file_data(uri: str, mime: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {} if mime is None else {"mimeType": mime}
    body["fileUri"] = uri
    return {"fileData": body}


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # ---- LangChain v1 data blocks
    (
        "v1-image-base64",
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        inline("image/png", PNG_B64),
    ),
    (
        "v1-image-base64-mime-wins-over-sniff",
        {"type": "image", "base64": PNG_B64, "mime_type": "image/jpeg"},
        inline("image/jpeg", PNG_B64),
    ),
    ("v1-image-base64-sniffed", {"type": "image", "base64": PNG_B64}, inline("image/png", PNG_B64)),
    ("v1-image-raw-bytes", {"type": "image", "base64": PNG}, inline("image/png", PNG_B64)),
    (
        "v1-image-bytearray",
        {"type": "image", "base64": bytearray(JPEG), "mime_type": "image/jpeg"},
        inline("image/jpeg", JPEG_B64),
    ),
    (
        "v1-base64-holding-data-url",
        {"type": "image", "base64": f"data:image/png;base64,{PNG_B64}"},
        inline("image/png", PNG_B64),
    ),
    (
        "v1-audio-base64",
        {"type": "audio", "base64": MP3_B64, "mime_type": "audio/mpeg"},
        inline("audio/mpeg", MP3_B64),
    ),
    (
        "v1-audio-pcm-mime-kept",
        {"type": "audio", "base64": WAV_B64, "mime_type": "audio/L16;codec=pcm;rate=24000"},
        inline("audio/L16;codec=pcm;rate=24000", WAV_B64),
    ),
    (
        "v1-video-base64",
        {"type": "video", "base64": MP4_B64, "mime_type": "video/mp4"},
        inline("video/mp4", MP4_B64),
    ),
    (
        "v1-file-base64-pdf",
        {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf", "id": "lc_1"},
        inline("application/pdf", PDF_B64),
    ),
    (
        "v1-file-filename-extension",
        {"type": "file", "base64": "aGVsbG8=", "extras": {"filename": "notes.txt"}},
        inline("text/plain", "aGVsbG8="),
    ),
    (
        "v1-file-filename-top-level",
        {"type": "file", "base64": "aGVsbG8=", "filename": "data.CSV"},
        inline("text/csv", "aGVsbG8="),
    ),
    (
        "v1-data-url",
        {"type": "image", "url": f"data:image/png;base64,{PNG_B64}"},
        inline("image/png", PNG_B64),
    ),
    (
        "v1-data-url-block-mime-wins",
        {"type": "image", "url": f"data:image/png;base64,{PNG_B64}", "mime_type": "image/x-png"},
        inline("image/x-png", PNG_B64),
    ),
    (
        "v1-data-url-with-params",
        {"type": "audio", "url": "data:audio/L16;rate=16000;base64,AAAA"},
        inline("audio/L16;rate=16000", "AAAA"),
    ),
    (
        "v1-data-url-no-mime-sniffed",
        {"type": "image", "url": f"data:;base64,{JPEG_B64}"},
        inline("image/jpeg", JPEG_B64),
    ),
    (
        "v1-data-url-percent-encoded",
        {"type": "file", "url": "data:text/plain,hello%20world"},
        inline("text/plain", base64.b64encode(b"hello world").decode()),
    ),
    (
        "v1-https-downloaded",
        {"type": "image", "url": "https://example.com/cat.png"},
        inline("image/png", PNG_B64),
    ),
    (
        "v1-https-content-type-params-stripped",
        {"type": "image", "url": "https://example.com/cat"},
        inline("image/jpeg", JPEG_B64),
    ),
    (
        "v1-https-octet-stream-falls-back-to-extension",
        {"type": "file", "url": "https://example.com/generic.pdf?sig=1"},
        inline("application/pdf", PDF_B64),
    ),
    (
        "v1-https-no-content-type-sniffed",
        {"type": "video", "url": "https://example.com/blob"},
        inline("video/mp4", MP4_B64),
    ),
    (
        "v1-https-binary-octet-stream-sniffed",
        {"type": "audio", "url": "https://cdn.example.com/s3"},
        inline("audio/wav", WAV_B64),
    ),
    (
        "v1-https-block-mime-wins-over-content-type",
        {"type": "video", "url": "https://example.com/clip.mp4", "mime_type": "video/webm"},
        inline("video/webm", MP4_B64),
    ),
    (
        "v1-youtube-thumbnail-is-downloaded",
        {"type": "image", "url": "https://img.youtube.com/vi/abc/0.jpg"},
        inline("image/jpeg", JPEG_B64),
    ),
    (
        "v1-gs-uri-extension",
        {"type": "file", "url": "gs://bucket/dir/report.pdf"},
        file_data("gs://bucket/dir/report.pdf", "application/pdf"),
    ),
    (
        "v1-gs-uri-explicit-mime",
        {"type": "video", "url": "gs://bucket/clip", "mime_type": "video/mp4"},
        file_data("gs://bucket/clip", "video/mp4"),
    ),
    ("v1-gs-uri-unknown-mime", {"type": "file", "url": "gs://b/x"}, file_data("gs://b/x")),
    (
        "v1-youtube-watch",
        {"type": "video", "url": "https://www.youtube.com/watch?v=9hE5-98ZeCg"},
        file_data("https://www.youtube.com/watch?v=9hE5-98ZeCg"),
    ),
    (
        "v1-youtube-watch-with-mime",
        {"type": "video", "url": "https://youtube.com/watch?v=x", "mime_type": "video/*"},
        file_data("https://youtube.com/watch?v=x", "video/*"),
    ),
    (
        "v1-youtu-be",
        {"type": "video", "url": "https://youtu.be/9hE5-98ZeCg?t=10"},
        file_data("https://youtu.be/9hE5-98ZeCg?t=10"),
    ),
    (
        "v1-youtube-shorts",
        {"type": "video", "url": "https://m.youtube.com/shorts/abc123"},
        file_data("https://m.youtube.com/shorts/abc123"),
    ),
    (
        "v1-files-api-uri",
        {
            "type": "file",
            "url": "https://generativelanguage.googleapis.com/v1beta/files/abc-123",
            "mime_type": "application/pdf",
        },
        file_data(
            "https://generativelanguage.googleapis.com/v1beta/files/abc-123", "application/pdf"
        ),
    ),
    (
        "v1-bare-files-name-as-url",
        {"type": "audio", "url": "files/abc123"},
        file_data("files/abc123"),
    ),
    (
        "v1-file-id",
        {"type": "file", "file_id": "files/abc123", "mime_type": "application/pdf"},
        file_data("files/abc123", "application/pdf"),
    ),
    (
        "v1-file-id-full-uri",
        {"type": "video", "file_id": "https://generativelanguage.googleapis.com/v1beta/files/x"},
        file_data("https://generativelanguage.googleapis.com/v1beta/files/x"),
    ),
    (
        "v1-base64-preferred-over-file-id",
        {"type": "image", "base64": PNG_B64, "file_id": "file-openai", "mime_type": "image/png"},
        inline("image/png", PNG_B64),
    ),
    # ---- LangChain v0 (source_type) blocks
    (
        "v0-base64",
        {"type": "image", "source_type": "base64", "data": PNG_B64, "mime_type": "image/png"},
        inline("image/png", PNG_B64),
    ),
    (
        "v0-base64-sniffed",
        {"type": "file", "source_type": "base64", "data": PDF_B64},
        inline("application/pdf", PDF_B64),
    ),
    (
        "v0-url-downloaded",
        {"type": "image", "source_type": "url", "url": "https://example.com/cat.png"},
        inline("image/png", PNG_B64),
    ),
    (
        "v0-url-gs",
        {"type": "audio", "source_type": "url", "url": "gs://b/a.mp3"},
        file_data("gs://b/a.mp3", "audio/mp3"),
    ),
    (
        "v0-id-files",
        {"type": "file", "source_type": "id", "id": "files/abc", "mime_type": "application/pdf"},
        file_data("files/abc", "application/pdf"),
    ),
    (
        "v0-text",
        {"type": "file", "source_type": "text", "url": "plain text body"},
        {"text": "plain text body"},
    ),
    # ---- OpenAI Chat Completions blocks
    (
        "openai-image-url-dict-data-url",
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{JPEG_B64}"}},
        inline("image/jpeg", JPEG_B64),
    ),
    (
        "openai-image-url-detail-ignored",
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
        inline("image/png", PNG_B64),
    ),
    (
        "openai-image-url-string",
        {"type": "image_url", "image_url": "https://example.com/cat.png"},
        inline("image/png", PNG_B64),
    ),
    (
        "openai-image-url-gs",
        {"type": "image_url", "image_url": {"url": "gs://b/c.webp"}},
        file_data("gs://b/c.webp", "image/webp"),
    ),
    (
        "openai-input-audio-wav",
        {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
        inline("audio/wav", WAV_B64),
    ),
    (
        "openai-input-audio-mp3",
        {"type": "input_audio", "input_audio": {"data": MP3_B64, "format": "mp3"}},
        inline("audio/mp3", MP3_B64),
    ),
    (
        "openai-input-audio-no-format-sniffed",
        {"type": "input_audio", "input_audio": {"data": WAV_B64}},
        inline("audio/wav", WAV_B64),
    ),
    (
        "openai-file-data-url",
        {
            "type": "file",
            "file": {"filename": "a.pdf", "file_data": f"data:application/pdf;base64,{PDF_B64}"},
        },
        inline("application/pdf", PDF_B64),
    ),
    (
        "openai-file-raw-base64-filename",
        {"type": "file", "file": {"filename": "a.pdf", "file_data": "aGVsbG8="}},
        inline("application/pdf", "aGVsbG8="),
    ),
    (
        "openai-file-id-gemini-name",
        {"type": "file", "file": {"file_id": "files/xyz"}},
        file_data("files/xyz"),
    ),
    # ---- Gemini-native blocks
    (
        "media-base64",
        {"type": "media", "data": MP4_B64, "mime_type": "video/mp4"},
        inline("video/mp4", MP4_B64),
    ),
    (
        "media-bytes",
        {"type": "media", "data": MP4, "mime_type": "video/mp4"},
        inline("video/mp4", MP4_B64),
    ),
    ("media-sniffed", {"type": "media", "data": PNG_B64}, inline("image/png", PNG_B64)),
    (
        "media-file-uri-youtube",
        {
            "type": "media",
            "file_uri": "https://www.youtube.com/watch?v=a",
            "mime_type": "video/mp4",
        },
        file_data("https://www.youtube.com/watch?v=a", "video/mp4"),
    ),
    (
        "media-file-uri-arbitrary-https-sent-as-is",
        {"type": "media", "file_uri": "https://example.com/doc.pdf"},
        file_data("https://example.com/doc.pdf", "application/pdf"),
    ),
    (
        "media-fileUri-camel",
        {"type": "media", "fileUri": "files/q", "mimeType": "audio/wav"},
        file_data("files/q", "audio/wav"),
    ),
    (
        "inline-data-nested",
        {"type": "inline_data", "inline_data": {"mime_type": "image/png", "data": PNG_B64}},
        inline("image/png", PNG_B64),
    ),
    (
        "inline-data-camel",
        {"type": "inline_data", "inlineData": {"mimeType": "image/png", "data": PNG_B64}},
        inline("image/png", PNG_B64),
    ),
    (
        "inline-data-flat",
        {"type": "inline_data", "data": PNG_B64, "mime_type": "image/png"},
        inline("image/png", PNG_B64),
    ),
    (
        "file-data-nested",
        {"type": "file_data", "file_data": {"file_uri": "gs://b/v.mp4"}},
        file_data("gs://b/v.mp4", "video/mp4"),
    ),
    (
        "file-data-camel",
        {"type": "file_data", "fileData": {"fileUri": "files/a", "mimeType": "application/pdf"}},
        file_data("files/a", "application/pdf"),
    ),
    # ---- options
    (
        "video-metadata-snake-strings",
        {
            "type": "media",
            "file_uri": "https://youtu.be/abc",
            "mime_type": "video/mp4",
            "video_metadata": {"start_offset": "10s", "end_offset": "60s", "fps": 1.0},
        },
        {
            **file_data("https://youtu.be/abc", "video/mp4"),
            "videoMetadata": {"startOffset": "10s", "endOffset": "60s", "fps": 1.0},
        },
    ),
    (
        "video-metadata-camel-numbers",
        {
            "type": "video",
            "base64": MP4_B64,
            "videoMetadata": {"startOffset": 10, "endOffset": 62.5, "fps": 2},
        },
        {
            **inline("video/mp4", MP4_B64),
            "videoMetadata": {"startOffset": "10s", "endOffset": "62.5s", "fps": 2},
        },
    ),
    (
        "video-metadata-bare-number-string-and-proto-mapping",
        {
            "type": "video",
            "url": "gs://b/v.mp4",
            "video_metadata": {
                "start_offset": "5",
                "end_offset": {"seconds": 7, "nanos": 500000000},
            },
        },
        {
            **file_data("gs://b/v.mp4", "video/mp4"),
            "videoMetadata": {"startOffset": "5s", "endOffset": "7.5s"},
        },
    ),
    (
        "video-metadata-in-extras",
        {
            "type": "video",
            "url": "https://youtu.be/abc",
            "extras": {"video_metadata": {"fps": 0.5}},
        },
        {**file_data("https://youtu.be/abc"), "videoMetadata": {"fps": 0.5}},
    ),
    (
        "video-metadata-empty-dropped",
        {"type": "video", "url": "https://youtu.be/abc", "video_metadata": {}},
        file_data("https://youtu.be/abc"),
    ),
    (
        "media-resolution-short",
        {"type": "image", "base64": PNG_B64, "media_resolution": "high"},
        {**inline("image/png", PNG_B64), "mediaResolution": {"level": "MEDIA_RESOLUTION_HIGH"}},
    ),
    (
        "media-resolution-ultra-high",
        {"type": "image", "base64": PNG_B64, "media_resolution": "ultra_high"},
        {
            **inline("image/png", PNG_B64),
            "mediaResolution": {"level": "MEDIA_RESOLUTION_ULTRA_HIGH"},
        },
    ),
    (
        "media-resolution-full-enum-camel-key",
        {"type": "media", "data": PNG_B64, "mediaResolution": "MEDIA_RESOLUTION_LOW"},
        {**inline("image/png", PNG_B64), "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"}},
    ),
    (
        "media-resolution-wire-dict-in-extras",
        {"type": "image", "base64": PNG_B64, "extras": {"media_resolution": {"level": "medium"}}},
        {**inline("image/png", PNG_B64), "mediaResolution": {"level": "MEDIA_RESOLUTION_MEDIUM"}},
    ),
    (
        "signature-in-extras",
        {
            "type": "image",
            "base64": JPEG_B64,
            "mime_type": "image/jpeg",
            "extras": {"signature": SIG},
        },
        {**inline("image/jpeg", JPEG_B64), "thoughtSignature": SIG},
    ),
    (
        "signature-top-level",
        {"type": "image", "base64": JPEG_B64, "mime_type": "image/jpeg", "thought_signature": SIG},
        {**inline("image/jpeg", JPEG_B64), "thoughtSignature": SIG},
    ),
    (
        "signature-bytes-encoded",
        {"type": "image", "base64": JPEG_B64, "thought_signature": b"\x01\x02\x03"},
        {**inline("image/jpeg", JPEG_B64), "thoughtSignature": "AQID"},
    ),
    (
        "signature-on-image-url",
        {
            "type": "image_url",
            "image_url": {"url": "https://example.com/cat.png"},
            "extras": {"signature": SIG},
        },
        {**inline("image/png", PNG_B64), "thoughtSignature": SIG},
    ),
    (
        "all-options",
        {
            "type": "video",
            "url": "https://www.youtube.com/watch?v=z",
            "video_metadata": {"end_offset": "30s"},
            "media_resolution": "low",
            "extras": {"signature": SIG},
        },
        {
            **file_data("https://www.youtube.com/watch?v=z"),
            "videoMetadata": {"endOffset": "30s"},
            "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"},
            "thoughtSignature": SIG,
        },
    ),
]


@pytest.mark.parametrize(("block", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_media_block_to_part(block: dict[str, Any], expected: dict[str, Any]) -> None:
    assert block["type"] in MEDIA_BLOCK_TYPES
    assert media_block_to_part(block, DOWNLOADS) == expected


def test_part_key_order_matches_wire_docs() -> None:
    part = media_block_to_part({"type": "image", "base64": PNG_B64}, {})
    assert list(part["inlineData"]) == ["mimeType", "data"]
    part = media_block_to_part({"type": "file", "url": "gs://b/a.pdf"}, {})
    assert list(part["fileData"]) == ["mimeType", "fileUri"]


def test_block_is_not_mutated() -> None:
    block: dict[str, Any] = {
        "type": "video",
        "base64": MP4_B64,
        "video_metadata": {"start_offset": 1},
        "extras": {"signature": SIG},
    }
    snapshot = copy.deepcopy(block)
    media_block_to_part(block, {})
    assert block == snapshot


# --------------------------------------------------------------------------- no needless copies

BIG = "QUJD" * (5 * 1024 * 1024)  # 20 MiB of base64


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": BIG, "mime_type": "image/png"},
        {"type": "image", "base64": BIG},  # sniffing decodes only a prefix
        {"type": "image", "source_type": "base64", "data": BIG, "mime_type": "image/png"},
        {"type": "media", "data": BIG, "mime_type": "video/mp4"},
        {"type": "input_audio", "input_audio": {"data": BIG, "format": "wav"}},
        {"type": "inline_data", "inline_data": {"data": BIG, "mime_type": "image/png"}},
        {"type": "file", "file": {"file_data": BIG, "filename": "big.pdf"}},
    ],
    ids=["v1", "v1-sniffed", "v0", "media", "input_audio", "inline_data", "openai-file"],
)
def test_big_base64_passes_through_by_identity(block: dict[str, Any]) -> None:
    if block.get("base64") is BIG and "mime_type" not in block:
        big = base64.b64encode(PNG[:12]).decode() + BIG  # a sniffable 20 MB image
        block = {**block, "base64": big}
    else:
        big = BIG
    part = media_block_to_part(block, {})
    assert part["inlineData"]["data"] is big


# --------------------------------------------------------------------------- URL policy

URL_CASES: list[tuple[str, Any, str | None]] = [
    (
        "v1-https",
        {"type": "image", "url": "https://example.com/cat.png"},
        "https://example.com/cat.png",
    ),
    ("v1-http", {"type": "file", "url": "http://example.com/a.pdf"}, "http://example.com/a.pdf"),
    ("v1-url-whitespace", {"type": "file", "url": " https://e.com/a.pdf "}, "https://e.com/a.pdf"),
    (
        "v0-url",
        {"type": "audio", "source_type": "url", "url": "https://e.com/a.mp3"},
        "https://e.com/a.mp3",
    ),
    (
        "image-url-dict",
        {"type": "image_url", "image_url": {"url": "https://e.com/x"}},
        "https://e.com/x",
    ),
    ("image-url-str", {"type": "image_url", "image_url": "https://e.com/x"}, "https://e.com/x"),
    (
        "youtube-thumbnail",
        {"type": "image", "url": "https://img.youtube.com/vi/a/0.jpg"},
        "https://img.youtube.com/vi/a/0.jpg",
    ),
    (
        "youtube-channel-page",
        {"type": "image", "url": "https://www.youtube.com/@chan"},
        "https://www.youtube.com/@chan",
    ),
    ("media-url", {"type": "media", "url": "https://e.com/v.mp4"}, "https://e.com/v.mp4"),
    ("data-url", {"type": "image", "url": f"data:image/png;base64,{PNG_B64}"}, None),
    ("gs", {"type": "file", "url": "gs://b/a.pdf"}, None),
    ("youtube-watch", {"type": "video", "url": "https://www.youtube.com/watch?v=a"}, None),
    ("youtube-short-link", {"type": "video", "url": "https://youtu.be/a"}, None),
    ("youtube-shorts", {"type": "video", "url": "https://youtube.com/shorts/a"}, None),
    ("youtube-embed", {"type": "video", "url": "https://www.youtube-nocookie.com/embed/a"}, None),
    (
        "files-api",
        {"type": "file", "url": "https://generativelanguage.googleapis.com/v1beta/files/a"},
        None,
    ),
    ("bare-files", {"type": "file", "url": "files/a"}, None),
    ("base64", {"type": "image", "base64": PNG_B64}, None),
    ("file-id", {"type": "file", "file_id": "files/a"}, None),
    ("v0-id", {"type": "file", "source_type": "id", "id": "files/a"}, None),
    ("media-file-uri-https", {"type": "media", "file_uri": "https://e.com/v.mp4"}, None),
    ("file-data", {"type": "file_data", "file_data": {"file_uri": "https://e.com/v.mp4"}}, None),
    (
        "input-audio",
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        None,
    ),
    ("text-block", {"type": "text", "text": "https://e.com/x.png"}, None),
    ("local-path", {"type": "image", "url": "/tmp/cat.png"}, None),
    ("broken-block", {"type": "image"}, None),
    ("non-dict", "https://e.com/x.png", None),
    ("unhashable-type", {"type": ["image"], "url": "https://e.com/x.png"}, None),
]


@pytest.mark.parametrize(
    ("block", "expected"), [c[1:] for c in URL_CASES], ids=[c[0] for c in URL_CASES]
)
def test_urls_to_download(block: Any, expected: str | None) -> None:
    assert urls_to_download(block) == expected


def test_every_url_to_download_is_used_from_downloads() -> None:
    for _, block, url in URL_CASES:
        if url is None:
            continue
        part = media_block_to_part(block, {url: Downloaded(PNG, "image/png")})
        assert part["inlineData"] == {
            "mimeType": block.get("mime_type", "image/png"),
            "data": PNG_B64,
        }


# --------------------------------------------------------------------------- errors

ERROR_CASES: list[tuple[str, Any, str, str]] = [
    # id, block, block type named in message, another fragment the message must contain
    ("non-dict-str", "look at this", "str", "dict"),
    ("non-dict-list", [{"type": "image"}], "list", "dict"),
    ("not-media-type", {"type": "text", "text": "hi"}, "'text'", "not a media block"),
    ("untyped", {"base64": PNG_B64}, "untyped", "not a media block"),
    ("unhashable-type", {"type": ["image"], "base64": PNG_B64}, "['image']", "not a media block"),
    ("none", None, "NoneType", "dict"),
    (
        "no-source",
        {"type": "image", "mime_type": "image/png"},
        "'image'",
        "'base64', 'url' or 'file_id'",
    ),
    ("no-mime-unsniffable", {"type": "file", "base64": "aGVsbG8gd29ybGQ="}, "'file'", "mime_type"),
    ("no-mime-undecodable", {"type": "audio", "base64": "@@@@!!!!"}, "'audio'", "mime_type"),
    ("empty-base64", {"type": "image", "base64": ""}, "'image'", "base64"),
    ("base64-wrong-type", {"type": "image", "base64": 12345}, "'image'", "base64"),
    ("local-path", {"type": "image", "url": "/home/me/cat.png"}, "'image'", "local files"),
    ("relative-path", {"type": "image", "url": "cat.png"}, "'image'", "local files"),
    ("windows-path", {"type": "file", "url": "C:\\docs\\a.pdf"}, "'file'", "local files"),
    ("file-scheme", {"type": "file", "url": "file:///tmp/a.pdf"}, "'file'", "local files"),
    ("ftp-scheme", {"type": "video", "url": "ftp://e.com/a.mp4"}, "'video'", "http(s)"),
    ("s3-scheme", {"type": "video", "url": "s3://bucket/a.mp4"}, "'video'", "http(s)"),
    ("url-not-str", {"type": "image", "url": None, "file_id": 3}, "'image'", "file_id"),
    ("openai-file-id", {"type": "file", "file_id": "file-abc123"}, "'file'", "Files API"),
    ("v0-id-unusable", {"type": "image", "source_type": "id", "id": "img_42"}, "'image'", "img_42"),
    (
        "v0-unknown-source",
        {"type": "image", "source_type": "path", "path": "x"},
        "'image'",
        "'path'",
    ),
    ("v0-text-without-url", {"type": "file", "source_type": "text"}, "'file'", "text"),
    ("image-url-missing", {"type": "image_url", "image_url": {}}, "'image_url'", "image_url.url"),
    ("image-url-wrong-type", {"type": "image_url", "image_url": 5}, "'image_url'", "image_url.url"),
    (
        "input-audio-not-dict",
        {"type": "input_audio", "input_audio": "AAAA"},
        "'input_audio'",
        "input_audio",
    ),
    (
        "input-audio-no-data",
        {"type": "input_audio", "input_audio": {"format": "wav"}},
        "'input_audio'",
        "input_audio.data",
    ),
    (
        "openai-file-empty",
        {"type": "file", "file": {"filename": "a.pdf"}},
        "'file'",
        "file.file_data",
    ),
    ("media-empty", {"type": "media", "mime_type": "video/mp4"}, "'media'", "file_uri"),
    ("inline-data-not-dict", {"type": "inline_data", "inline_data": "x"}, "'inline_data'", "dict"),
    (
        "file-data-no-uri",
        {"type": "file_data", "file_data": {"mime_type": "a/b"}},
        "'file_data'",
        "file_uri",
    ),
    (
        "data-url-no-comma",
        {"type": "image", "url": "data:image/png;base64"},
        "'image'",
        "data: URL",
    ),
    ("data-url-empty", {"type": "image", "url": "data:image/png;base64,"}, "'image'", "no data"),
    (
        "not-downloaded",
        {"type": "image", "url": "https://e.com/missing.png"},
        "'image'",
        "urls_to_download",
    ),
    (
        "bad-resolution",
        {"type": "image", "base64": PNG_B64, "media_resolution": "huge"},
        "'image'",
        "media_resolution",
    ),
    (
        "bad-resolution-type",
        {"type": "image", "base64": PNG_B64, "media_resolution": 3},
        "'image'",
        "media_resolution",
    ),
    (
        "bad-offset-string",
        {"type": "video", "url": "gs://b/v.mp4", "video_metadata": {"start_offset": "1m30s"}},
        "'video'",
        "start_offset",
    ),
    (
        "negative-offset",
        {"type": "video", "url": "gs://b/v.mp4", "video_metadata": {"end_offset": -1}},
        "'video'",
        "end_offset",
    ),
    (
        "bool-offset",
        {"type": "video", "url": "gs://b/v.mp4", "videoMetadata": {"startOffset": True}},
        "'video'",
        "start_offset",
    ),
    (
        "start-after-end",
        {
            "type": "media",
            "file_uri": "gs://b/v.mp4",
            "video_metadata": {"start_offset": "60s", "end_offset": "10s"},
        },
        "'media'",
        "after",
    ),
    (
        "bad-fps",
        {"type": "video", "url": "gs://b/v.mp4", "video_metadata": {"fps": 0}},
        "'video'",
        "fps",
    ),
    (
        "infinite-fps",
        {"type": "video", "url": "gs://b/v.mp4", "video_metadata": {"fps": float("inf")}},
        "'video'",
        "fps",
    ),
    (
        "video-metadata-not-dict",
        {"type": "video", "url": "gs://b/v.mp4", "video_metadata": "10s-20s"},
        "'video'",
        "video_metadata",
    ),
    (
        "bad-signature",
        {"type": "image", "base64": PNG_B64, "thought_signature": 7},
        "'image'",
        "signature",
    ),
]


@pytest.mark.parametrize(
    ("block", "named", "fragment"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_errors(block: Any, named: str, fragment: str) -> None:
    with pytest.raises(UnsupportedContentError) as info:
        media_block_to_part(block, {}, where="messages[2].content[1]")
    message = str(info.value)
    assert named in message
    assert fragment in message
    assert "messages[2].content[1]" in message
    assert isinstance(info.value, ValueError)


def test_error_without_where() -> None:
    with pytest.raises(
        UnsupportedContentError, match=r"^Cannot send 'file' content block to Gemini: .*mime_type"
    ):
        media_block_to_part({"type": "file", "base64": "aGVsbG8="}, {})


def test_error_class_is_the_package_one() -> None:
    assert UnsupportedContentError is CentralError
    assert issubclass(UnsupportedContentError, ValueError)


def test_huge_url_is_shortened_in_message() -> None:
    with pytest.raises(UnsupportedContentError) as info:
        media_block_to_part({"type": "image", "url": "/tmp/" + "x" * 10_000}, {})
    assert len(str(info.value)) < 500


# --------------------------------------------------------------------------- core normalisation


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
            inline("audio/wav", WAV_B64),
        ),
        (
            {
                "type": "file",
                "file": {
                    "filename": "a.pdf",
                    "file_data": f"data:application/pdf;base64,{PDF_B64}",
                },
            },
            inline("application/pdf", PDF_B64),
        ),
        (
            {"type": "file", "file": {"file_id": "files/abc"}},
            file_data("files/abc"),
        ),
        (
            # v0 keys core does not know end up in `extras`.
            {
                "type": "image",
                "source_type": "base64",
                "data": PNG_B64,
                "mime_type": "image/png",
                "media_resolution": "high",
            },
            {**inline("image/png", PNG_B64), "mediaResolution": {"level": "MEDIA_RESOLUTION_HIGH"}},
        ),
        (
            {
                "type": "video",
                "source_type": "url",
                "url": "https://youtu.be/a",
                "video_metadata": {"fps": 1},
            },
            {**file_data("https://youtu.be/a"), "videoMetadata": {"fps": 1}},
        ),
        (
            {"type": "file", "source_type": "id", "id": "files/abc"},
            file_data("files/abc"),
        ),
        (
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
            inline("image/png", PNG_B64),
        ),
    ],
)
def test_blocks_after_core_normalisation(block: dict[str, Any], expected: dict[str, Any]) -> None:
    (normalised,) = _normalize_messages([HumanMessage(content=[block])])
    converted = normalised.content[0]
    assert isinstance(converted, dict)
    assert media_block_to_part(converted, {}) == expected
