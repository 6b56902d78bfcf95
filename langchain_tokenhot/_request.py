"""Request options → `generationConfig`, `thinkingConfig`, `safetySettings` (pure functions).

Only what the user set goes on the wire: Gemini 2.5 rejects penalties with a 400, Gemini 3
degrades with a forced temperature, and models without thinking reject any `thinkingConfig`.
Mistakes we can see locally (both a thinking level and a budget, a level the model does not
take) raise `ValueError` before the request instead of coming back as the server's 400.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._profiles import ThinkingRules, base_model_id, is_tts_model, thinking_rules_for

# LangChain-style option name → generationConfig field.
GENERATION_FIELDS: dict[str, str] = {
    "temperature": "temperature",
    "max_tokens": "maxOutputTokens",
    "top_p": "topP",
    "top_k": "topK",
    "stop": "stopSequences",
    "n": "candidateCount",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "response_mime_type": "responseMimeType",
    "response_json_schema": "responseJsonSchema",
    "response_modalities": "responseModalities",
    "media_resolution": "mediaResolution",
    "response_logprobs": "responseLogprobs",
    "logprobs": "logprobs",
}
# Accepted spellings of the same options (constructor aliases and genai's names).
OPTION_ALIASES: dict[str, str] = {
    "max_output_tokens": "max_tokens",
    "stop_sequences": "stop",
    "candidate_count": "n",
    "reasoning_effort": "thinking_level",
    "response_schema": "response_json_schema",
}
THINKING_OPTIONS = ("thinking_level", "thinking_budget", "include_thoughts")
NESTED_CONFIG_OPTIONS: dict[str, str] = {
    "image_config": "imageConfig",
    "speech_config": "speechConfig",
}


def camel_keys(value: Any) -> Any:
    """snake_case → camelCase keys, deep (user dicts for imageConfig, speechConfig, ...)."""
    if isinstance(value, Mapping):
        return {_camel(k): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _camel(key: str) -> str:
    if "_" not in key:
        return key
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def thinking_config(
    model: str,
    *,
    thinking_level: str | None = None,
    thinking_budget: int | None = None,
    include_thoughts: bool | None = None,
) -> dict[str, Any] | None:
    """The `thinkingConfig` for these options, checked against the model's rules."""
    if thinking_level is None and thinking_budget is None and include_thoughts is None:
        return None
    model_id = base_model_id(model)
    rules = thinking_rules_for(model_id)
    if thinking_level is not None and thinking_budget is not None:
        raise ValueError(
            "Set either thinking_level or thinking_budget, not both: Gemini rejects a "
            "thinkingConfig holding both (400)."
        )
    if rules is not None and not rules.thinks:
        raise ValueError(
            f"{model_id} does not think; remove thinking_level/thinking_budget/"
            "include_thoughts (Gemini rejects thinkingConfig for it)."
        )
    config: dict[str, Any] = {}
    if thinking_level is not None:
        level = str(thinking_level).lower()
        if rules is not None and level not in rules.levels:
            if not rules.levels:
                raise ValueError(
                    f"{model_id} takes no thinking_level (Gemini 2.5 models use "
                    f"thinking_budget); got {thinking_level!r}."
                )
            raise ValueError(
                f"{model_id} does not accept thinking_level={thinking_level!r}; choose one of "
                f"{', '.join(rules.levels)}.{_inferred_note(rules, model_id)}"
            )
        config["thinkingLevel"] = level
    if thinking_budget is not None:
        if rules is not None and thinking_budget != -1:
            if rules.budget is None:
                raise ValueError(f"{model_id} takes no thinking_budget; use thinking_level.")
            low, high = rules.budget
            if not low <= thinking_budget <= high:
                raise ValueError(
                    f"{model_id} accepts thinking_budget from {low} to {high} (or -1 for "
                    f"dynamic); got {thinking_budget}.{_inferred_note(rules, model_id)}"
                )
        config["thinkingBudget"] = thinking_budget
    if include_thoughts is not None:
        config["includeThoughts"] = bool(include_thoughts)
    return config


def _inferred_note(rules: ThinkingRules, model_id: str) -> str:
    if not rules.inferred:
        return ""
    return (
        f" ({model_id} is not in the model table: these rules are its family's. If the server "
        "takes the value, send it unchecked with model_kwargs={'thinkingConfig': {...}}.)"
    )


def safety_settings(settings: Any) -> list[dict[str, str]] | None:
    """`{category: threshold}` or a list of `{category, threshold}` → the wire list."""
    if not settings:
        return None
    if isinstance(settings, Mapping):
        return [
            {"category": _enum_name(c), "threshold": _enum_name(t)} for c, t in settings.items()
        ]
    if isinstance(settings, Sequence):
        return [camel_keys(dict(s)) for s in settings]
    raise ValueError(
        "safety_settings must be a {category: threshold} dict or a list of "
        "{'category': ..., 'threshold': ...} dicts."
    )


def _enum_name(value: Any) -> str:
    # Accept enum members (e.g. from google-genai) as well as their names.
    return str(getattr(value, "name", value))


def generation_config(
    model: str, options: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`generationConfig` from the options that are set (None means "not set").

    Args:
        model: the target model (thinking rules, TTS defaults).
        options: LangChain-named options (`temperature`, `max_tokens`, `thinking_level`, ...).
        extra: raw `generationConfig` fields (`model_kwargs`, call-time `generation_config`),
            merged last so they can set anything the API knows.
    """
    config: dict[str, Any] = {}
    for name, wire in GENERATION_FIELDS.items():
        value = options.get(name)
        if value is not None:
            config[wire] = value
    if "stopSequences" in config and not config["stopSequences"]:
        del config["stopSequences"]
    if config.get("candidateCount") == 1:
        del config["candidateCount"]
    for name, wire in NESTED_CONFIG_OPTIONS.items():
        value = options.get(name)
        if value:
            config[wire] = camel_keys(value)
    if (voice := options.get("voice_name")) and "speechConfig" not in config:
        config["speechConfig"] = {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": voice}}}
    if is_tts_model(model) and "responseModalities" not in config:
        # TTS models accept only AUDIO; asking for nothing gets a 400.
        config["responseModalities"] = ["AUDIO"]
    if "responseModalities" in config:
        config["responseModalities"] = [str(m).upper() for m in config["responseModalities"]]
    thinking = thinking_config(
        model,
        thinking_level=options.get("thinking_level"),
        thinking_budget=options.get("thinking_budget"),
        include_thoughts=options.get("include_thoughts"),
    )
    if thinking:
        config["thinkingConfig"] = thinking
    if extra:
        # Top-level keys only: values such as a responseJsonSchema hold user-named keys.
        for key, value in ((_camel(k), v) for k, v in extra.items()):
            if isinstance(value, Mapping) and isinstance(config.get(key), Mapping):
                config[key] = {**config[key], **value}
            else:
                config[key] = value
    return config
