"""Capabilities of every model Tokenhot serves: LangChain profiles and thinking rules.

Figures come from Google's model pages (context window, output limit, modalities) and the
thinking rules verified in the project's wire-format reference §3.5 and §10. Both the preview
ids Tokenhot lists and their GA ids are in the table. An id that is not (a new release such as
`gemini-3.5-flash`) is matched to its family (generation, size, image/TTS) and gets the nearest
listed model's rules and a profile marked `status: "inferred"`; an id no family fits gets none,
and then the server decides.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

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
    "gemini-3-flash": {
        "name": "Gemini 3 Flash",
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
    "gemini-3-pro-image": {
        "name": "Gemini 3 Pro Image",
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
    "gemini-3.1-flash-image": {
        "name": "Gemini 3.1 Flash Image",
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
    inferred: bool = False
    """True when the rules come from the model's family (an id not in the table)."""


THINKING_RULES: dict[str, ThinkingRules] = {
    "gemini-2.5-flash": ThinkingRules(budget=(0, 24_576)),
    "gemini-2.5-pro": ThinkingRules(budget=(128, 32_768)),
    "gemini-3-flash-preview": ThinkingRules(
        levels=("minimal", "low", "medium", "high"), budget=(0, 32_768)
    ),
    "gemini-3-flash": ThinkingRules(
        levels=("minimal", "low", "medium", "high"), budget=(0, 32_768)
    ),
    "gemini-3.1-pro": ThinkingRules(levels=("low", "medium", "high"), budget=(128, 32_768)),
    "gemini-3.1-pro-preview": ThinkingRules(levels=("low", "medium", "high"), budget=(128, 32_768)),
    "gemini-2.5-flash-image": ThinkingRules(thinks=False),
    "gemini-3-pro-image-preview": ThinkingRules(levels=("low", "high")),
    "gemini-3-pro-image": ThinkingRules(levels=("low", "high")),
    "gemini-3.1-flash-image-preview": ThinkingRules(levels=("minimal", "high")),
    "gemini-3.1-flash-image": ThinkingRules(levels=("minimal", "high")),
    "gemini-2.5-flash-preview-tts": ThinkingRules(thinks=False),
    "gemini-2.5-pro-preview-tts": ThinkingRules(thinks=False),
}


def base_model_id(model: str) -> str:
    """`models/gemini-2.5-flash` → `gemini-2.5-flash`."""
    return model.removeprefix("models/")


# gemini-<major>[.<minor>]-<size>[-lite][-image][-preview-tts|-tts][-preview][-<date>...]
_FAMILY_RE = re.compile(
    r"^gemini-(?P<major>\d+)(?:\.(?P<minor>\d+))?-(?P<size>flash|pro)(?P<lite>-lite)?"
    r"(?P<image>-image)?(?:-preview)?(?P<tts>-tts)?(?:-[\w.-]+)?$"
)
# (generation >= 3, size, kind) → the listed model whose rules a new id of that family gets.
_FAMILY_TEMPLATES: dict[tuple[bool, str, str], str] = {
    (True, "flash", "chat"): "gemini-3-flash",
    (True, "pro", "chat"): "gemini-3.1-pro",
    (True, "flash", "image"): "gemini-3.1-flash-image",
    (True, "pro", "image"): "gemini-3-pro-image",
    (False, "flash", "chat"): "gemini-2.5-flash",
    (False, "pro", "chat"): "gemini-2.5-pro",
    (False, "flash", "image"): "gemini-2.5-flash-image",
    (False, "flash", "tts"): "gemini-2.5-flash-preview-tts",
    (False, "pro", "tts"): "gemini-2.5-pro-preview-tts",
}


@functools.lru_cache(maxsize=256)  # pure, immutable result, read per call
def generation(model: str) -> tuple[int, int] | None:
    """`gemini-3.1-pro` → (3, 1); None for an id outside the Gemini naming scheme."""
    match = _FAMILY_RE.match(base_model_id(model))
    if match is None:
        return None
    return int(match["major"]), int(match["minor"] or 0)


@functools.lru_cache(maxsize=256)  # pure, immutable result, read per call
def family_template(model: str) -> str | None:
    """The listed model whose rules `model` follows: itself if listed, else its family's."""
    model_id = base_model_id(model)
    if model_id in PROFILES:
        return model_id
    match = _FAMILY_RE.match(model_id)
    if match is None or int(match["major"]) < 2 or match["lite"]:
        # Flash-Lite has its own thinking ranges, and pre-2.5 models their own rules: guessing
        # would reject valid requests, so the server decides.
        return None
    if (int(match["major"]), int(match["minor"] or 0)) < (2, 5):
        return None
    kind = "tts" if match["tts"] else "image" if match["image"] else "chat"
    return _FAMILY_TEMPLATES.get((int(match["major"]) >= 3, match["size"], kind))


def profile_for(model: str) -> ModelProfile | None:
    """The LangChain profile of `model`; an id not in the table gets its family's profile,
    marked `status: "inferred"` and named after the model it was inferred from."""
    model_id = base_model_id(model)
    profile = PROFILES.get(model_id)
    if profile is not None:
        return dict(profile)  # type: ignore[return-value]
    template = family_template(model_id)
    if template is None:
        return None
    inferred: ModelProfile = dict(PROFILES[template])  # type: ignore[assignment]
    inferred["name"] = f"{model_id} (inferred from {template})"
    inferred["status"] = "inferred"
    return inferred


@functools.lru_cache(maxsize=256)  # pure, immutable result, read per call
def thinking_rules_for(model: str) -> ThinkingRules | None:
    """The thinking rules of `model` (its family's for an id not in the table), or None."""
    template = family_template(model)
    if template is None:
        return None
    rules = THINKING_RULES[template]
    return rules if template == base_model_id(model) else replace(rules, inferred=True)


@functools.lru_cache(maxsize=256)  # pure, immutable result, read per call
def supports_combined_tools(model: str) -> bool:
    """Whether built-in and function tools may share a request (Gemini 3 text models)."""
    template = family_template(model)
    gen = generation(model)
    return (
        gen is not None
        and gen >= (3, 0)
        and template is not None
        and bool(PROFILES[template].get("tool_calling"))
    )


@functools.lru_cache(maxsize=256)  # pure, immutable result, read per call
def is_tts_model(model: str) -> bool:
    return base_model_id(model).endswith("-tts")
