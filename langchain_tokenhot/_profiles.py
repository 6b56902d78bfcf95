"""Capabilities of every model Tokenhot serves: LangChain profiles and thinking rules.

Figures come from Google's model pages (context window, output limit, modalities) and the
thinking rules verified in the project's wire-format reference §3.5 and §10. A model not listed
here (a new release) gets no profile and no client-side thinking checks: the server decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models.model_profile import ModelProfile

_CHAT_INPUTS: ModelProfile = {
    "text_inputs": True,
    "image_inputs": True,
    "image_url_inputs": True,
    "pdf_inputs": True,
    "audio_inputs": True,
    "video_inputs": True,
    "image_tool_message": True,
    "pdf_tool_message": True,
}
_CHAT_OUTPUTS: ModelProfile = {
    "text_outputs": True,
    "image_outputs": False,
    "audio_outputs": False,
    "video_outputs": False,
    "tool_calling": True,
    "tool_choice": True,
    "tool_call_streaming": True,
    "structured_output": True,
    "reasoning_output": True,
    "temperature": True,
    "attachment": True,
}
_IMAGE_MODEL: ModelProfile = {
    "text_inputs": True,
    "image_inputs": True,
    "image_url_inputs": True,
    "pdf_inputs": False,
    "audio_inputs": False,
    "video_inputs": False,
    "text_outputs": True,
    "image_outputs": True,
    "audio_outputs": False,
    "tool_calling": False,
    "structured_output": False,
    "temperature": True,
}
_TTS_MODEL: ModelProfile = {
    "max_input_tokens": 8_192,
    "max_output_tokens": 16_384,
    "text_inputs": True,
    "image_inputs": False,
    "audio_inputs": False,
    "video_inputs": False,
    "pdf_inputs": False,
    "text_outputs": False,
    "image_outputs": False,
    "audio_outputs": True,
    "tool_calling": False,
    "structured_output": False,
    "reasoning_output": False,
    "temperature": True,
}
_LONG_CONTEXT: ModelProfile = {"max_input_tokens": 1_048_576, "max_output_tokens": 65_536}

PROFILES: dict[str, ModelProfile] = {
    "gemini-2.5-flash": {
        "name": "Gemini 2.5 Flash",
        **_LONG_CONTEXT,
        **_CHAT_INPUTS,
        **_CHAT_OUTPUTS,
    },
    "gemini-2.5-pro": {
        "name": "Gemini 2.5 Pro",
        **_LONG_CONTEXT,
        **_CHAT_INPUTS,
        **_CHAT_OUTPUTS,
    },
    "gemini-3-flash-preview": {
        "name": "Gemini 3 Flash (preview)",
        **_LONG_CONTEXT,
        **_CHAT_INPUTS,
        **_CHAT_OUTPUTS,
        "reasoning_effort_levels": ["minimal", "low", "medium", "high"],
        "reasoning_effort_default": "high",
    },
    "gemini-3.1-pro": {
        "name": "Gemini 3.1 Pro",
        **_LONG_CONTEXT,
        **_CHAT_INPUTS,
        **_CHAT_OUTPUTS,
        "reasoning_effort_levels": ["low", "medium", "high"],
        "reasoning_effort_default": "high",
    },
    "gemini-3.1-pro-preview": {
        "name": "Gemini 3.1 Pro (preview)",
        **_LONG_CONTEXT,
        **_CHAT_INPUTS,
        **_CHAT_OUTPUTS,
        "reasoning_effort_levels": ["low", "medium", "high"],
        "reasoning_effort_default": "high",
    },
    "gemini-2.5-flash-image": {
        "name": "Gemini 2.5 Flash Image",
        "max_input_tokens": 32_768,
        "max_output_tokens": 32_768,
        **_IMAGE_MODEL,
        "reasoning_output": False,
    },
    "gemini-3-pro-image-preview": {
        "name": "Gemini 3 Pro Image (preview)",
        "max_input_tokens": 65_536,
        "max_output_tokens": 32_768,
        **_IMAGE_MODEL,
        "reasoning_output": True,
        "reasoning_effort_levels": ["low", "high"],
    },
    "gemini-3.1-flash-image-preview": {
        "name": "Gemini 3.1 Flash Image (preview)",
        "max_input_tokens": 65_536,
        "max_output_tokens": 32_768,
        **_IMAGE_MODEL,
        "reasoning_output": True,
        "reasoning_effort_levels": ["minimal", "high"],
    },
    "gemini-2.5-flash-preview-tts": {"name": "Gemini 2.5 Flash TTS (preview)", **_TTS_MODEL},
    "gemini-2.5-pro-preview-tts": {"name": "Gemini 2.5 Pro TTS (preview)", **_TTS_MODEL},
}


@dataclass(frozen=True, slots=True)
class ThinkingRules:
    """What a model's `thinkingConfig` may hold."""

    levels: tuple[str, ...] = ()
    """Accepted `thinkingLevel` values (lower case); empty: the model takes no level."""
    budget: tuple[int, int] | None = None
    """Accepted `thinkingBudget` range besides -1 (dynamic); None: budgets not accepted."""
    thinks: bool = True
    """False for models that reject any `thinkingConfig`."""


THINKING_RULES: dict[str, ThinkingRules] = {
    "gemini-2.5-flash": ThinkingRules(budget=(0, 24_576)),
    "gemini-2.5-pro": ThinkingRules(budget=(128, 32_768)),
    "gemini-3-flash-preview": ThinkingRules(
        levels=("minimal", "low", "medium", "high"), budget=(0, 32_768)
    ),
    "gemini-3.1-pro": ThinkingRules(levels=("low", "medium", "high"), budget=(128, 32_768)),
    "gemini-3.1-pro-preview": ThinkingRules(levels=("low", "medium", "high"), budget=(128, 32_768)),
    "gemini-2.5-flash-image": ThinkingRules(thinks=False),
    "gemini-3-pro-image-preview": ThinkingRules(levels=("low", "high")),
    "gemini-3.1-flash-image-preview": ThinkingRules(levels=("minimal", "high")),
    "gemini-2.5-flash-preview-tts": ThinkingRules(thinks=False),
    "gemini-2.5-pro-preview-tts": ThinkingRules(thinks=False),
}


def base_model_id(model: str) -> str:
    """`models/gemini-2.5-flash` → `gemini-2.5-flash`."""
    return model.removeprefix("models/")


def profile_for(model: str) -> ModelProfile | None:
    profile = PROFILES.get(base_model_id(model))
    return dict(profile) if profile is not None else None  # type: ignore[return-value]


def is_tts_model(model: str) -> bool:
    return base_model_id(model).endswith("-tts")
