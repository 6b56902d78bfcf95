"""Scripted Gemini answers for building the integration-test cassettes offline.

`scripts/record_cassettes.py` (without `TOKENHOT_API_KEY`) serves this responder from
`tests.support.fake_gemini.FakeGemini(default=ScriptedResponder())` on 127.0.0.1 and runs the
langchain-tests suite against it with `--record-mode=rewrite`. Nothing here is a recording of
Tokenhot: every body is *built* from the documented wire format
(`shared/reference/gemini-wire-format.md`), copying the shape (keys, key order, where signatures
sit, cumulative stream usage) of a real recorded sample in `tests/fixtures/gemini/`, and every
response says so in its `x-cassette-source` header, which the cassettes keep.

What the responder answers, from the request alone (plus the current test's name, which the
integration conftest sends in an `x-cassette-test` header below vcrpy, so it is never recorded):

* `POST :generateContent` / `:streamGenerateContent?alt=sse`
  - last turn is a `functionResponse` → a short final text answer about that tool's result;
  - tools declared, calling not disabled, last turn is the user's text → one `functionCall` of
    the forced / allowed / mentioned / first tool with args that satisfy the standard tests
    (`_ARGS`, else minimal valid args built from its `parametersJsonSchema`);
  - `generationConfig.responseMimeType == application/json` → JSON text matching
    `responseJsonSchema`;
  - otherwise plain text picked from the prompt (`_TEXT_RULES`).
  Gemini 3 models sign their answer (text part, or first functionCall part; in streams on a
  final empty text part, as recorded); `thoughtsTokenCount` is always reported; a long prompt
  prefix already sent earlier in the same test reports `cachedContentTokenCount` (implicit
  caching); `modelVersion` is the requested model.
* `POST :countTokens` → the `count_tokens.json` shape.
* `GET /__media__/<scheme>/<host>/<path>` → a tiny valid placeholder PNG / PDF / WAV chosen by the
  path's extension. The conftest reroutes, in build mode only and below vcrpy, every request
  for another host (the media files langchain-tests downloads) to this path, so the cassette
  keeps the original URL while the bytes are our placeholder (and say so).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import itertools
import math
import re
import struct
import wave
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import orjson

from tests.support.fake_gemini import (
    Action,
    RecordedRequest,
    Respond,
    error,
    google_error,
    json_response,
    load_sample_events,
    load_sample_json,
    sse,
)

SOURCE_HEADER = "x-cassette-source"
TEST_HEADER = "x-cassette-test"
MEDIA_PREFIX = "/__media__/"
WIRE_FORMAT = "built from the documented wire format (shared/reference/gemini-wire-format.md)"

# -- text answers ------------------------------------------------------------------------------

# (regex on the last user text, answer). First match wins; the fallback is the greeting of
# gemini-samples/text_basic.json.
_TEXT_RULES: tuple[tuple[str, str], ...] = (
    (
        r"haiku",
        "Soft paws on the sill,\nmorning light spills on the floor,\nthe cat claims the sun."
        "\n\nAutumn wind whispers,\nleaves chase each other downhill,\nthe old dog just sleeps.",
    ),
    (
        r"story about a cat",
        "Milo was a grey cat who lived above a bakery. Every morning he sat "
        "by the window, counting the loaves as they came out of the oven. One day a loaf went "
        "missing, and Milo followed a trail of crumbs to a small mouse feeding her family. He "
        "watched for a long time, then turned around and never told the baker.",
    ),
    (
        r"summarize this document|pdf",
        'The document is a one-page PDF whose only content is the title "Dummy PDF file".',
    ),
    (r"describe this audio", "The clip is a short, steady electronic tone with no speech."),
    (r"description of this image|image", "A small square filled with a single flat blue colour."),
    (r"favorite colou?r", "I would pick purple from this image: it stands out against the blue."),
    (r"how are you", "I'm doing well, thank you for asking! How can I help you today?"),
    (r"well, thanks", "Glad to hear it! Let me know if there is anything I can help with."),
    (r"17 \* 24", "408"),
    (r"how many sections", "12"),
    (r"reply with ok", "OK"),
)
_GREETING = "Hello! How can I help you today?"

# Final answers after a functionResponse, by function name.
_TOOL_RESULT_TEXT: dict[str, str] = {
    "my_adder_tool": "1 + 2 = 3.",
    "get_weather": "It's sunny in San Francisco, CA right now.",
    "magic_function": "magic_function(3) returns 5.",
    "random_image": "The diagram is a small square filled with a single flat blue colour.",
    "random_pdf": 'The title of the PDF is "Dummy PDF file".',
    "color_picker": "Purple is a great pick! Fun fact: purple dye was once worth more than gold.",
}
_TOOL_ERROR_TEXT = "The tool call failed because argument 'b' was missing; 1 + 2 is 3."

# -- function-call arguments -------------------------------------------------------------------


def _quoted_name(text: str) -> str | None:
    m = re.search(r"named '([^']+)'", text)
    return m.group(1) if m else None


def _sum_operands(text: str) -> dict[str, Any]:
    m = re.search(r"(\d+)\s*\+\s*(\d+)", text)
    return {"a": int(m.group(1)), "b": int(m.group(2))} if m else {"a": 1, "b": 2}


# Arguments per function name, from the last user text; what each standard test asserts.
_ARGS: dict[str, Any] = {
    "magic_function": lambda text: {"input": 3},
    "magic_function_no_args": lambda text: {},
    "greeting_generator": lambda text: {"answer_style": "pirate"},
    "get_weather": lambda text: {"location": "San Francisco, CA"},
    "my_adder_tool": _sum_operands,
    "color_picker": lambda text: {"fav_color": "purple"},
    "unicode_customer": lambda text: {
        "customer_name": _quoted_name(text) or "你好啊集团",
        "description": ("Chinese technology company" if "Chinese" in text else "Japanese company"),
    },
}


def minimal_instance(schema: Any, name: str = "", defs: Mapping[str, Any] | None = None) -> Any:
    """A small value valid against a JSON Schema (objects get every property, required first)."""
    if not isinstance(schema, Mapping):
        return "example"
    defs = {**(defs or {}), **schema.get("$defs", {}), **schema.get("definitions", {})}
    if "$ref" in schema:
        target = defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
        return minimal_instance(target, name, defs)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [
                s for s in schema[key] if not (isinstance(s, Mapping) and s.get("type") == "null")
            ]
            return minimal_instance((options or schema[key])[0], name, defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        required = [p for p in schema.get("required", []) if p in props]
        order = required + [p for p in props if p not in required]
        return {p: minimal_instance(props[p], p, defs) for p in order}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [minimal_instance(schema.get("items", {}), name, defs) for _ in range(count)]
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return max(1, int(low) + 1) if low >= 1 else 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _STRING_VALUES.get(name, "example")


# String values by property name, for the standard tests' Joke schemas.
_STRING_VALUES = {
    "setup": "Why did the cat sit on the computer?",
    "punchline": "To keep an eye on the mouse!",
}

# -- placeholder media -------------------------------------------------------------------------


def placeholder_png(size: int = 16, rgb: tuple[int, int, int] = (66, 133, 244)) -> bytes:
    """A valid `size`x`size` single-colour RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * size, 9))
        + chunk(b"IEND", b"")
    )


def placeholder_pdf(title: str = "Dummy PDF file") -> bytes:
    """A valid one-page PDF 1.4 showing `title` (correct xref offsets)."""
    stream = f"BT /F1 24 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def placeholder_wav(seconds: float = 0.25, rate: int = 8000, hz: float = 440.0) -> bytes:
    """A valid mono 16-bit PCM WAV holding a quiet sine tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
        for i in range(int(seconds * rate))
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


_MEDIA: dict[str, tuple[str, str, Any]] = {
    ".png": ("image/png", "16x16 single-colour PNG", placeholder_png),
    ".jpg": ("image/png", "16x16 single-colour PNG", placeholder_png),
    ".jpeg": ("image/png", "16x16 single-colour PNG", placeholder_png),
    ".pdf": ("application/pdf", 'one-page PDF titled "Dummy PDF file"', placeholder_pdf),
    ".wav": ("audio/wav", "0.25 s 440 Hz mono WAV", placeholder_wav),
}


def media_response(path: str) -> Action:
    """The placeholder for `GET /__media__/<scheme>/<host>/<path>`."""
    original = unquote(path[len(MEDIA_PREFIX) :])
    scheme, _, rest = original.partition("/")
    url = f"{scheme}://{rest}"
    ext = re.search(r"(\.[A-Za-z0-9]+)$", rest.split("?", 1)[0])
    kind = _MEDIA.get(ext.group(1).lower() if ext else "")
    if kind is None:
        body, content_type, what = b"placeholder\n", "text/plain", "text placeholder"
    else:
        content_type, what, make = kind
        body = make()
    source = (
        f"placeholder media built by tests/integration_tests/cassette_script.py ({what}, "
        f"{len(body)} bytes) standing in for {url}; not the original file"
    )
    return Respond(200, body, content_type, ((SOURCE_HEADER, source),))


# -- request reading ---------------------------------------------------------------------------


def _texts(parts: list[Any]) -> list[str]:
    return [p["text"] for p in parts if isinstance(p, Mapping) and isinstance(p.get("text"), str)]


def _media_tokens(parts: list[Any]) -> dict[str, int]:
    """Prompt tokens per modality, roughly as Gemini counts them."""
    counts: dict[str, int] = {}
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        nested = (
            part.get("functionResponse", {}).get("parts", []) if "functionResponse" in part else []
        )
        for media in [part, *nested]:
            blob = media.get("inlineData") or media.get("fileData")
            if not blob:
                continue
            mime = blob.get("mimeType", "")
            modality = (
                "IMAGE"
                if mime.startswith("image/")
                else "AUDIO"
                if mime.startswith("audio/")
                else "VIDEO"
                if mime.startswith("video/")
                else "DOCUMENT"
            )
            counts[modality] = counts.get(modality, 0) + (258 if modality != "AUDIO" else 8)
    return counts


def _tokens(text: str) -> int:
    return max(1, len(text.encode()) // 4) if text else 0


class _Request:
    """What the responder needs from a generateContent request body."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        contents = body.get("contents") or []
        self.last = contents[-1] if contents else {"role": "user", "parts": []}
        last_parts = self.last.get("parts") or []
        self.function_responses = [
            p["functionResponse"]
            for p in last_parts
            if isinstance(p, Mapping) and "functionResponse" in p
        ]
        self.user_text = "\n".join(_texts(last_parts)) if self.last.get("role") == "user" else ""
        self.declarations = [
            d for tool in body.get("tools") or [] for d in tool.get("functionDeclarations") or []
        ]
        calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
        self.mode = str(calling.get("mode", "AUTO")).upper()
        self.allowed = list(calling.get("allowedFunctionNames") or [])
        config = body.get("generationConfig") or {}
        self.json_schema = config.get("responseJsonSchema") or config.get("responseSchema")
        self.wants_json = config.get("responseMimeType") == "application/json"
        all_parts = [p for c in contents for p in c.get("parts") or []]
        system_parts = (body.get("systemInstruction") or {}).get("parts") or []
        text = "".join(_texts(all_parts + system_parts))
        text += "".join(orjson.dumps(d).decode() for d in self.declarations)
        text += "".join(orjson.dumps(fr.get("response")).decode() for fr in self.function_responses)
        self.media = _media_tokens(all_parts)
        self.prompt_tokens = _tokens(text) + sum(self.media.values())
        self.text_tokens = _tokens(text)
        first_parts = contents[0].get("parts") or [] if contents else []
        first_texts = _texts(first_parts)
        # A long leading text part is what Gemini's implicit cache can reuse.
        self.cacheable_prefix = (
            first_texts[0] if first_texts and len(first_texts[0]) >= 4000 else None
        )

    def tool_to_call(self) -> Mapping[str, Any] | None:
        if not self.declarations or self.mode == "NONE" or self.function_responses:
            return None
        if self.last.get("role") != "user" or not self.user_text:
            return None
        by_name = {d["name"]: d for d in self.declarations}
        if self.allowed:
            return by_name.get(self.allowed[0])
        mentioned = [d for d in self.declarations if d["name"] in self.user_text]
        return (mentioned or self.declarations)[0]

    def call_args(self, declaration: Mapping[str, Any]) -> dict[str, Any]:
        maker = _ARGS.get(declaration["name"])
        if maker is not None:
            return maker(self.user_text)
        schema = declaration.get("parametersJsonSchema") or declaration.get("parameters") or {}
        required = set(schema.get("required", []))
        props = schema.get("properties", {})
        return {
            name: minimal_instance(prop, name, schema.get("$defs"))
            for name, prop in props.items()
            if name in required
        }

    def answer_text(self) -> str:
        if self.function_responses:
            fr = self.function_responses[-1]
            if "error" in (fr.get("response") or {}):
                return _TOOL_ERROR_TEXT
            return _TOOL_RESULT_TEXT.get(fr.get("name", ""), "Done: the tool returned its result.")
        lowered = self.user_text.lower()
        for pattern, answer in _TEXT_RULES:
            if re.search(pattern, lowered):
                return answer
        return _GREETING


# -- response building -------------------------------------------------------------------------


def _digest(*items: Any) -> bytes:
    h = hashlib.sha256()
    for item in items:
        h.update(item if isinstance(item, bytes) else str(item).encode())
        h.update(b"\x00")
    return h.digest()


def fake_signature(*seed: Any) -> str:
    """A deterministic, obviously synthetic base64 thought signature."""
    return base64.b64encode(b"cassette-script-signature:" + _digest(*seed)[:24]).decode()


def _response_id(*seed: Any) -> str:
    return "cassette-" + base64.urlsafe_b64encode(_digest(*seed)[:12]).decode().rstrip("=")


def _split(text: str, pieces: int = 3) -> list[str]:
    """Split `text` into up to `pieces` deltas at spaces (never inside a character)."""
    if len(text) < 12:
        return [text]
    cuts = []
    for k in range(1, pieces):
        at = text.find(" ", len(text) * k // pieces)
        if at > 0 and (not cuts or at > cuts[-1]):
            cuts.append(at)
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if text[a:b]]


def _usage(
    template: Mapping[str, Any],
    prompt: int,
    candidates: int,
    thoughts: int,
    media: Mapping[str, int],
    text_tokens: int,
    cached: int | None,
) -> dict[str, Any]:
    """`usageMetadata` with the template's keys (order kept) and our counts."""
    details = [{"modality": "TEXT", "tokenCount": text_tokens}]
    details += [{"modality": m, "tokenCount": n} for m, n in sorted(media.items())]
    values: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "promptTokensDetails": details,
        "thoughtsTokenCount": thoughts,
    }
    usage: dict[str, Any] = {k: values[k] for k in template if k in values}
    for key, value in values.items():
        usage.setdefault(key, value)
    if cached is not None:
        usage["cachedContentTokenCount"] = cached
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    return usage


def _fill(template: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """Copy of `template` with `values` replacing its keys in place (new keys appended)."""
    out = copy.deepcopy(dict(template))
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


class ScriptedResponder:
    """`FakeGemini(default=ScriptedResponder())`: answers every standard-test request."""

    def __init__(self) -> None:
        self.current_test: str | None = None
        # Long prompt prefixes seen per test (implicit caching is per conversation prefix).
        self._seen_prefixes: dict[str, set[str]] = {}

    def set_test(self, name: str | None) -> None:
        """Tell the responder which test is running (the conftest's header does the same)."""
        self.current_test = name

    def __call__(self, request: RecordedRequest) -> Action:
        test = request.headers.get(TEST_HEADER) or self.current_test or "unknown-test"
        if request.method == "GET" and request.path.startswith(MEDIA_PREFIX):
            return media_response(request.path)
        model, op = request.model, request.operation
        if request.method != "POST" or model is None:
            return self._error(
                404, f"cassette_script: no route for {request.method} {request.path}"
            )
        if op == "countTokens":
            return self._count_tokens(request)
        if op not in ("generateContent", "streamGenerateContent") or not isinstance(
            request.json, Mapping
        ):
            return self._error(404, f"cassette_script: {op} is not scripted")
        req = _Request(request.json)
        cached = self._cached_tokens(test, req)
        seed = (test, model, op, request.body)
        if op == "streamGenerateContent":
            return self._stream(req, model, cached, seed)
        return self._generate(req, model, cached, seed)

    # -- pieces ---------------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, message: str) -> Action:
        return error(status, google_error(status, message), {SOURCE_HEADER: WIRE_FORMAT})

    def _cached_tokens(self, test: str, req: _Request) -> int | None:
        if req.cacheable_prefix is None:
            return None
        seen = self._seen_prefixes.setdefault(test, set())
        hit = req.cacheable_prefix in seen
        seen.add(req.cacheable_prefix)
        return min(_tokens(req.cacheable_prefix), req.prompt_tokens) if hit else None

    @staticmethod
    def _thoughts(*seed: Any) -> int:
        return 24 + _digest(*seed)[0] % 200

    @staticmethod
    def _answer(req: _Request) -> tuple[str, Any, str]:
        """(kind, payload, sample shape) where kind is 'call' (payload: functionCall) or 'text'."""
        declaration = req.tool_to_call()
        if declaration is not None:
            call = {"name": declaration["name"], "args": req.call_args(declaration)}
            return "call", call, "function_call_single_gemini3.json"
        if req.wants_json and not req.function_responses:
            schema = req.json_schema or {
                "type": "object",
                "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}},
            }
            text = orjson.dumps(minimal_instance(schema)).decode()
            return "text", text, "structured_output.json"
        return "text", req.answer_text(), "text_basic.json"

    def _generate(
        self, req: _Request, model: str, cached: int | None, seed: tuple[Any, ...]
    ) -> Action:
        gemini3 = model.startswith("gemini-3")
        kind, payload, shape = self._answer(req)
        signature = fake_signature(*seed) if (gemini3 or kind == "call") else None
        if kind == "call":
            template = load_sample_json("function_call_single_gemini3")
            part: dict[str, Any] = {"functionCall": payload}
            candidates_tokens = _tokens(orjson.dumps(payload).decode())
        else:
            sample = "text_gemini3_signature" if gemini3 else shape.removesuffix(".json")
            template = load_sample_json(sample)
            if gemini3:
                shape = "text_gemini3_signature.json" + (
                    " (JSON text as in structured_output.json)"
                    if shape == "structured_output.json"
                    else ""
                )
            part = {"text": payload}
            candidates_tokens = _tokens(payload)
        if signature:
            part["thoughtSignature"] = signature
        candidate = _fill(
            template["candidates"][0],
            content={"parts": [part], "role": "model"},
            finishReason="STOP",
            finishMessage="Model generated function call(s)." if kind == "call" else None,
        )
        usage = _usage(
            template["usageMetadata"],
            req.prompt_tokens,
            candidates_tokens,
            self._thoughts(*seed),
            req.media,
            req.text_tokens,
            cached,
        )
        body = _fill(
            template,
            candidates=[candidate],
            usageMetadata=usage,
            modelVersion=model,
            responseId=_response_id(*seed),
        )
        source = f"{WIRE_FORMAT}; shape of gemini-samples/{shape}"
        if cached is not None:
            source += "; cache usage as in gemini-samples/cached_content_usage.json"
        return json_response(body, headers={SOURCE_HEADER: source})

    def _stream(
        self, req: _Request, model: str, cached: int | None, seed: tuple[Any, ...]
    ) -> Action:
        gemini3 = model.startswith("gemini-3")
        kind, payload, _ = self._answer(req)
        response_id = _response_id(*seed)
        thoughts = self._thoughts(*seed)
        signature = fake_signature(*seed)
        if kind == "call":
            sample = "stream_function_call_gemini3"
            deltas: list[dict[str, Any]] = [
                {"functionCall": payload, "thoughtSignature": signature}
            ]
            final: dict[str, Any] | None = {"text": ""}
        elif gemini3:
            sample = "stream_signature_on_empty_text_gemini3"
            deltas = [{"text": t} for t in _split(payload)]
            final = {"text": "", "thoughtSignature": signature}
        else:
            sample = "stream_text"
            deltas = [{"text": t} for t in _split(payload)]
            final = None
        template_events = load_sample_events(sample)
        parts_per_event = [[d] for d in deltas] + ([[final]] if final is not None else [])
        events = []
        produced = 0
        for i, parts in enumerate(parts_per_event):
            last = i == len(parts_per_event) - 1
            template = template_events[-1] if last else template_events[0]
            produced += sum(
                _tokens(p["text"])
                if "text" in p
                else _tokens(orjson.dumps(p["functionCall"]).decode())
                for p in parts
            )
            candidate = _fill(
                template["candidates"][0],
                content={"parts": parts, "role": "model"},
                finishReason="STOP" if last else None,
            )
            usage = _usage(
                template["usageMetadata"],
                req.prompt_tokens,
                produced,
                thoughts,
                req.media,
                req.text_tokens,
                cached,
            )
            events.append(
                _fill(
                    template,
                    candidates=[candidate],
                    usageMetadata=usage,
                    modelVersion=model,
                    responseId=response_id,
                )
            )
        source = f"{WIRE_FORMAT}; event shape of gemini-samples/{sample}.sse"
        if cached is not None:
            source += "; cache usage as in gemini-samples/cached_content_usage.json"
        return sse(events, headers={SOURCE_HEADER: source})

    @staticmethod
    def _count_tokens(request: RecordedRequest) -> Action:
        body = request.json if isinstance(request.json, Mapping) else {}
        inner = body.get("generateContentRequest", body)
        req = _Request(inner if isinstance(inner, Mapping) else {})
        template = load_sample_json("count_tokens")
        result = _fill(
            template,
            totalTokens=req.prompt_tokens,
            promptTokensDetails=[{"modality": "TEXT", "tokenCount": req.prompt_tokens}],
        )
        return json_response(
            result,
            headers={SOURCE_HEADER: f"{WIRE_FORMAT}; shape of gemini-samples/count_tokens.json"},
        )
