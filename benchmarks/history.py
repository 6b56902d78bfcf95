"""A long, realistic conversation: text, base64 images, image URLs, parallel tool calls and
tool results (JSON), the way an agent loop accumulates them."""

from __future__ import annotations

import base64
import struct
import zlib

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)


def _png(width: int = 48, height: int = 48) -> bytes:
    """A real (if dull) 48x48 RGB PNG (about 0.7 KB, 1 KB in base64)."""
    raw = b"".join(
        b"\x00" + bytes((x * 5 + y * 3) % 256 for x in range(width * 3)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


PNG_B64 = base64.b64encode(_png()).decode()


def build_history(n: int) -> list[BaseMessage]:
    """`n` messages: a system message, then cycles of
    human (text + image) → AI (text + 2 tool calls) → 2 tool results → AI answer."""
    out: list[BaseMessage] = [SystemMessage("You are a travel agent with tools. Be precise.")]
    turn = 0
    while len(out) < n:
        if turn % 2 == 0:
            image: dict[str, object] = {
                "type": "image",
                "base64": PNG_B64,
                "mime_type": "image/png",
            }
        else:
            image = {
                "type": "image_url",
                "image_url": {"url": f"data:image/png;base64,{PNG_B64}"},
            }
        ids = (f"call_{turn}_a", f"call_{turn}_b")
        cycle: list[BaseMessage] = [
            HumanMessage(
                content=[
                    {
                        "type": "text",
                        "text": f"Turn {turn}: where was this photo taken? "
                        "Also check the weather and flights for tomorrow.",
                    },
                    image,
                ]
            ),
            AIMessage(
                content="Let me look that up.",
                tool_calls=[
                    {
                        "name": "get_weather",
                        "args": {"city": "Lisbon", "day": turn},
                        "id": ids[0],
                        "type": "tool_call",
                    },
                    {
                        "name": "search_flights",
                        "args": {"from": "CDG", "to": "LIS", "passengers": 2, "flex": True},
                        "id": ids[1],
                        "type": "tool_call",
                    },
                ],
                response_metadata={"model_provider": "google_genai", "finish_reason": "STOP"},
            ),
            ToolMessage(
                content='{"temperature_c": 21, "sky": "clear", "wind_kmh": 12}',
                tool_call_id=ids[0],
                name="get_weather",
            ),
            ToolMessage(
                content='[{"flight": "TP433", "price_eur": 129}, '
                '{"flight": "AF1024", "price_eur": 154}]',
                tool_call_id=ids[1],
                name="search_flights",
            ),
            AIMessage(
                content=f"Turn {turn}: the photo shows Lisbon's Alfama district. Tomorrow is "
                "clear, 21 °C; the cheapest flight is TP433 at 129 EUR.",
                response_metadata={"model_provider": "google_genai", "finish_reason": "STOP"},
            ),
        ]
        out.extend(cycle)
        turn += 1
    return out[:n]
