"""docs/examples/text_to_speech.py: raw PCM from the model becomes a valid WAV file."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from tests.docs.conftest import RunExample
from tests.docs.gemini import tone_pcm, tts_reply
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response

TTS = "gemini-2.5-flash-preview-tts"
GREETING = tone_pcm(1.5, freq=440.0)
DIALOGUE = tone_pcm(3.0, freq=330.0)


def tts_responder(request: RecordedRequest) -> Action:
    config = request.json["generationConfig"]
    assert config["responseModalities"] == ["AUDIO"]
    if "multiSpeakerVoiceConfig" in config["speechConfig"]:
        return json_response(tts_reply(DIALOGUE, model=TTS))
    return json_response(tts_reply(GREETING, model=TTS))


def test_text_to_speech(
    server: FakeGemini, run_example: RunExample, printed: Any, tmp_path: Path
) -> None:
    server.default = tts_responder
    result = run_example("text_to_speech")

    with wave.open(str(tmp_path / "greeting.wav")) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        assert wav.readframes(wav.getnframes()) == GREETING
    with wave.open(str(tmp_path / "dialogue.wav")) as wav:
        assert wav.readframes(wav.getnframes()) == DIALOGUE
    assert result["msg"].usage_metadata["output_token_details"] == {"audio": 37}

    first, second = (r.json["generationConfig"] for r in server.requests)
    assert first == {
        "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}},
        "responseModalities": ["AUDIO"],
    }
    # A call-time speech_config replaces the voice_name shortcut, keys camelCased deep.
    assert second["speechConfig"] == {
        "multiSpeakerVoiceConfig": {
            "speakerVoiceConfigs": [
                {"speaker": "Joe", "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}},
                {"speaker": "Jane", "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}},
            ]
        }
    }
    printed("text_to_speech")
