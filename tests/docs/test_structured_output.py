"""docs/examples/structured_output.py: the schema goes out, parsed objects come back."""

from __future__ import annotations

from typing import Any

import orjson

from tests.docs.conftest import RunExample
from tests.docs.gemini import last_user_text, response, text_reply
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response

FLASH = "gemini-2.5-flash"

FILMS = {
    "Inception": {
        "title": "Inception",
        "year": 2010,
        "director": "Christopher Nolan",
        "genres": ["Science fiction", "Action", "Thriller"],
    },
    "Spirited Away": {
        "title": "Spirited Away",
        "year": 2001,
        "director": "Hayao Miyazaki",
        "genres": ["Animation", "Fantasy"],
    },
    "Alien": {
        "title": "Alien",
        "year": 1979,
        "director": "Ridley Scott",
        "genres": ["Science fiction", "Horror"],
    },
}


def film_of(request: RecordedRequest) -> dict[str, Any]:
    question = last_user_text(request.json)
    return next(facts for name, facts in FILMS.items() if f"film {name}." in question)


def movie_responder(request: RecordedRequest) -> Action:
    """JSON text for responseJsonSchema (`structured_output.json` shape), else a forced call."""
    body = request.json
    config = body.get("generationConfig", {})
    facts = film_of(request)
    if config.get("responseMimeType") == "application/json":
        schema = config["responseJsonSchema"]
        assert set(schema["properties"]) == {"title", "year", "director", "genres"}
        return json_response(
            text_reply(orjson.dumps(facts).decode(), model=FLASH, thoughts=360, prompt_tokens=26)
        )
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["Movie"]}
    }
    return json_response(
        response([{"functionCall": {"name": "Movie", "args": facts}}], model=FLASH)
    )


def test_structured_output(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = movie_responder
    script = run_example("structured_output")

    movie = script["movie"]
    assert isinstance(movie, script["Movie"])
    assert movie.model_dump() == FILMS["Inception"]
    raw = script["result"]
    assert raw["parsed"] == script["Movie"](**FILMS["Spirited Away"])
    assert raw["parsing_error"] is None
    assert raw["raw"].usage_metadata["output_token_details"] == {"reasoning": 360}

    # The schema went out as real JSON Schema, field descriptions included.
    config = server.requests[0].json["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseJsonSchema"]
    assert schema["required"] == ["title", "year", "director", "genres"]
    assert schema["properties"]["year"] == {
        "description": "Year of the first release",
        "type": "integer",
    }
    assert schema["properties"]["genres"]["items"] == {"type": "string"}
    # function_calling: one declaration, forced.
    tools = server.requests[2].json["tools"]
    assert [d["name"] for d in tools[0]["functionDeclarations"]] == ["Movie"]
    printed("structured_output")
