"""Request options → `generationConfig`, `thinkingConfig`, `safetySettings` (pure functions).

Only what the user set goes on the wire: Gemini 2.5 rejects penalties with a 400, Gemini 3
degrades with a forced temperature, and models without thinking reject any `thinkingConfig`.
Mistakes we can see locally (both a thinking level and a budget, a level the model does not
take, a safety setting of the wrong shape, a media resolution Gemini does not know) raise
`InvalidOptionError` (a `ValueError`) naming the option, before the request, instead of coming
back as the server's 400. Where Google's form is unambiguous the value is normalized instead:
`models/gemini-2.5-flash` is `gemini-2.5-flash`, `"low"` is `MEDIA_RESOLUTION_LOW`,
`"harassment"` is `HARM_CATEGORY_HARASSMENT`, and a response schema implies JSON output.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ._exceptions import InvalidOptionError
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
# The generationConfig field each option sets (what a raw config layer must not override when
# the option was given per call).
OPTION_WIRE_FIELD: dict[str, str] = {
    **GENERATION_FIELDS,
    **NESTED_CONFIG_OPTIONS,
    "voice_name": "speechConfig",
    "thinking_level": "thinkingConfig.thinkingLevel",
    "thinking_budget": "thinkingConfig.thinkingBudget",
    "include_thoughts": "thinkingConfig.includeThoughts",
}
MEDIA_RESOLUTIONS = {
    "low": "MEDIA_RESOLUTION_LOW",
    "medium": "MEDIA_RESOLUTION_MEDIUM",
    "high": "MEDIA_RESOLUTION_HIGH",
    "unspecified": "MEDIA_RESOLUTION_UNSPECIFIED",
}
"""Request-wide `mediaResolution` values (`ULTRA_HIGH` exists only per part)."""


def normalize_model(model: str) -> str:
    """`models/gemini-2.5-flash` → `gemini-2.5-flash` (Google's resource name form)."""
    model = model.strip()
    return model.removeprefix("models/")


def media_resolution(value: Any) -> str:
    """`"low"`, `"LOW"`, `"media_resolution_low"` → `MEDIA_RESOLUTION_LOW`."""
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "_").removeprefix("media_resolution_")
        if key in MEDIA_RESOLUTIONS:
            return MEDIA_RESOLUTIONS[key]
        if key == "ultra_high":
            raise InvalidOptionError(
                "media_resolution",
                "media_resolution='ultra_high' exists only per part: put media_resolution="
                "'ultra_high' on the image or video content block instead (Gemini 3).",
            )
    raise InvalidOptionError(
        "media_resolution",
        f"media_resolution={value!r} is not one of 'low', 'medium', 'high' (or the full "
        "MEDIA_RESOLUTION_* name).",
    )


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
        raise InvalidOptionError(
            "thinking_level",
            "Set either thinking_level or thinking_budget, not both: Gemini rejects a "
            "thinkingConfig holding both (400).",
        )
    if rules is not None and not rules.thinks:
        raise InvalidOptionError(
            "thinking_level" if thinking_level is not None else "thinking_budget",
            f"{model_id} does not think; remove thinking_level/thinking_budget/"
            "include_thoughts (Gemini rejects thinkingConfig for it).",
        )
    config: dict[str, Any] = {}
    if thinking_level is not None:
        if not isinstance(thinking_level, str):
            raise InvalidOptionError(
                "thinking_level",
                f"thinking_level must be a string such as 'low' or 'high'; got {thinking_level!r}.",
            )
        level = thinking_level.strip().lower()
        if rules is not None and level not in rules.levels:
            if not rules.levels:
                raise InvalidOptionError(
                    "thinking_level",
                    f"{model_id} takes no thinking_level (Gemini 2.5 models use "
                    f"thinking_budget); got {thinking_level!r}.",
                )
            raise InvalidOptionError(
                "thinking_level",
                f"{model_id} does not accept thinking_level={thinking_level!r}; choose one of "
                f"{', '.join(rules.levels)}.{_inferred_note(rules, model_id)}",
            )
        config["thinkingLevel"] = level
    if thinking_budget is not None:
        if isinstance(thinking_budget, bool) or not isinstance(thinking_budget, int):
            raise InvalidOptionError(
                "thinking_budget",
                f"thinking_budget must be an integer number of tokens (-1: dynamic); got "
                f"{thinking_budget!r}.",
            )
        if rules is not None and thinking_budget != -1:
            if rules.budget is None:
                raise InvalidOptionError(
                    "thinking_budget", f"{model_id} takes no thinking_budget; use thinking_level."
                )
            low, high = rules.budget
            if not low <= thinking_budget <= high:
                raise InvalidOptionError(
                    "thinking_budget",
                    f"{model_id} accepts thinking_budget from {low} to {high} (or -1 for "
                    f"dynamic); got {thinking_budget}.{_inferred_note(rules, model_id)}",
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


def safety_settings(settings: Any) -> list[dict[str, Any]] | None:
    """`{category: threshold}` or a list of `{category, threshold, ...}` → the wire list.

    Names are case-normalized and the `HARM_CATEGORY_` prefix is added when missing
    (`{"harassment": "block_none"}` is `HARM_CATEGORY_HARASSMENT: BLOCK_NONE`); other keys of
    a list entry (e.g. `method`) are kept, camelCased.
    """
    if settings is None or (isinstance(settings, Mapping | list | tuple) and not settings):
        return None
    if isinstance(settings, Mapping):
        entries: list[dict[str, Any]] = [
            {"category": c, "threshold": t} for c, t in settings.items()
        ]
    elif isinstance(settings, list | tuple):
        entries = []
        for i, entry in enumerate(settings):
            if not isinstance(entry, Mapping) or not {"category", "threshold"} <= set(entry):
                raise InvalidOptionError(
                    "safety_settings",
                    f"safety_settings[{i}] must be a {{'category': ..., 'threshold': ...}} "
                    f"dict; got {entry!r}.",
                )
            entries.append(camel_keys(dict(entry)))
    else:
        raise InvalidOptionError(
            "safety_settings",
            f"safety_settings must be a {{category: threshold}} dict such as "
            f"{{'HARM_CATEGORY_HARASSMENT': 'BLOCK_ONLY_HIGH'}} or a list of "
            f"{{'category': ..., 'threshold': ...}} dicts; got {settings!r}.",
        )
    for entry in entries:
        name = _enum_name(entry["category"], "category")
        if not name.startswith("HARM_CATEGORY_"):
            name = "HARM_CATEGORY_" + name
        entry["category"] = name
        entry["threshold"] = _enum_name(entry["threshold"], "threshold")
    return entries


def _enum_name(value: Any, what: str) -> str:
    # Accept enum members (e.g. from google-genai) as well as their names, in any case.
    name = getattr(value, "name", value)
    if not isinstance(name, str) or not name.strip():
        raise InvalidOptionError(
            "safety_settings",
            f"safety_settings: a {what} must be a name such as 'HARM_CATEGORY_HARASSMENT' or "
            f"'BLOCK_ONLY_HIGH'; got {value!r}.",
        )
    return name.strip().upper().replace("-", "_")


def generation_config(
    model: str,
    options: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
    *,
    defaults: Mapping[str, Any] | None = None,
    pinned: Collection[str] = (),
) -> dict[str, Any]:
    """`generationConfig` from the options that are set (None means "not set").

    Layers, lowest first: `defaults` (`model_kwargs`), the named `options`, `extra` (a
    call-time `generation_config`), and last the options named in `pinned` (those given per
    call), so a per-call value always wins.

    Args:
        model: the target model (thinking rules, TTS defaults).
        options: LangChain-named options (`temperature`, `max_tokens`, `thinking_level`, ...).
        extra: raw `generationConfig` fields (camelCase or snake_case top-level keys).
        defaults: raw fields that any named option overrides.
        pinned: names of the options set per call.
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
    if "mediaResolution" in config:
        config["mediaResolution"] = media_resolution(config["mediaResolution"])
    for name, wire in NESTED_CONFIG_OPTIONS.items():
        value = options.get(name)
        if value:
            config[wire] = camel_keys(value)
    if (voice := options.get("voice_name")) and "speechConfig" not in config:
        config["speechConfig"] = {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": voice}}}
    level = options.get("thinking_level")
    budget = options.get("thinking_budget")
    include = options.get("include_thoughts")
    if level is not None or budget is not None or include is not None:
        thinking = thinking_config(
            model, thinking_level=level, thinking_budget=budget, include_thoughts=include
        )
        if thinking:
            config["thinkingConfig"] = thinking
    if defaults:
        config = _merged(_camel_top(defaults), config)
    if extra:
        protected = {
            OPTION_WIRE_FIELD[name]
            for name in pinned
            if name in OPTION_WIRE_FIELD and options.get(name) is not None
        }
        config = _merged(config, _camel_top(extra), protected)
    if is_tts_model(model) and "responseModalities" not in config:
        # TTS models accept only AUDIO; asking for nothing gets a 400.
        config["responseModalities"] = ["AUDIO"]
    if isinstance(config.get("responseModalities"), list | tuple):
        config["responseModalities"] = [str(m).upper() for m in config["responseModalities"]]
    if ("responseJsonSchema" in config or "responseSchema" in config) and not config.get(
        "responseMimeType"
    ):
        # Gemini rejects a schema without a JSON MIME type (400); the schema says what we want.
        config["responseMimeType"] = "application/json"
    return config


def _camel_top(raw: Mapping[str, Any]) -> dict[str, Any]:
    # Top-level keys only: values such as a responseJsonSchema hold user-named keys.
    return {_camel(k): v for k, v in raw.items()}


def _merged(
    low: Mapping[str, Any], high: Mapping[str, Any], protected: Collection[str] = ()
) -> dict[str, Any]:
    """`high` over `low` (one level deep for dicts), except the `protected` fields of `low`
    (`"field"` or `"field.subfield"`)."""
    config = dict(low)
    for key, value in high.items():
        if key in protected and key in config:
            continue
        if isinstance(value, Mapping) and isinstance(config.get(key), Mapping):
            merged = {**config[key], **value}
            for sub in config[key]:
                if f"{key}.{sub}" in protected:
                    merged[sub] = config[key][sub]
            config[key] = merged
        else:
            config[key] = value
    return config
