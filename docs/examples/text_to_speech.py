"""Text to speech: a Gemini TTS model's reply saved as a playable WAV file.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/text_to_speech.py` (writes .wav files to
the current directory)
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

from langchain_tokenhot import ChatTokenhotGemini
from langchain_tokenhot.audio import audio_block_to_wav

MODEL = "gemini-2.5-flash-preview-tts"
OUT_DIR = Path()  # files are written to the current directory


tts = ChatTokenhotGemini(model=MODEL, voice_name="Kore")
msg = tts.invoke("Say cheerfully: Have a wonderful day!")

audio = next(b for b in msg.content_blocks if b["type"] == "audio")
wav_bytes = audio_block_to_wav(audio)
(OUT_DIR / "greeting.wav").write_bytes(wav_bytes)

with wave.open(io.BytesIO(wav_bytes)) as wav:
    seconds = wav.getnframes() / wav.getframerate()
    print(audio["mime_type"], wav.getframerate(), "Hz", f"{seconds:.2f} s")
print(msg.usage_metadata)

speakers = {"Joe": "Kore", "Jane": "Puck"}
dialogue = tts.invoke(
    "TTS the following conversation between Joe and Jane:\n"
    "Joe: How's it going today, Jane?\n"
    "Jane: Not too bad, how about you?",
    speech_config={
        "multi_speaker_voice_config": {
            "speaker_voice_configs": [
                {"speaker": name, "voice_config": {"prebuilt_voice_config": {"voice_name": v}}}
                for name, v in speakers.items()
            ]
        }
    },
)
block = next(b for b in dialogue.content_blocks if b["type"] == "audio")
(OUT_DIR / "dialogue.wav").write_bytes(audio_block_to_wav(block))
