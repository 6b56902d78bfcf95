"""Media resolution rules: per part on Gemini 3, model-wide everywhere.

A media content block may carry its own `media_resolution` (translated by `_media` into the
part's `mediaResolution`), which only Gemini 3 takes; the per-part-only `ULTRA_HIGH` level
cannot be asked for model-wide. Both are checked here, on the request body, before sending.
The model-wide `media_resolution` option also takes the short names (`"high"`).
"""

from __future__ import annotations

from typing import Any

from ._exceptions import UnsupportedContentError
from ._profiles import generation
from ._wire import GenerateContentRequest

_LEVELS = {
    "low": "MEDIA_RESOLUTION_LOW",
    "medium": "MEDIA_RESOLUTION_MEDIUM",
    "high": "MEDIA_RESOLUTION_HIGH",
    "unspecified": "MEDIA_RESOLUTION_UNSPECIFIED",
}
_ULTRA_HIGH = "MEDIA_RESOLUTION_ULTRA_HIGH"


def model_wide_level(value: Any) -> str:
    """The wire value of the model-wide `media_resolution` option.

    Raises:
        ValueError: an unknown level, or the per-part-only ultra-high level.
    """
    key = (
        value.strip().lower().replace("-", "_").removeprefix("media_resolution_")
        if (isinstance(value, str))
        else None
    )
    if key == "ultra_high":
        raise ValueError(
            "media_resolution='ultra_high' exists only per part: put media_resolution="
            "'ultra_high' on the image or video content block instead (Gemini 3)."
        )
    if key not in _LEVELS:
        raise ValueError(
            f"media_resolution {value!r} is not one of 'low', 'medium', 'high' (or a full "
            "MEDIA_RESOLUTION_* name)."
        )
    return _LEVELS[key]


def check_media_resolution(model: str, body: GenerateContentRequest) -> None:
    """Normalise the model-wide level and refuse per-part levels a model cannot take.

    Raises:
        ValueError: see `model_wide_level`.
        UnsupportedContentError: a content block sets its own resolution on a model before
            Gemini 3.
    """
    config = body.get("generationConfig")
    if config and "mediaResolution" in config:
        config["mediaResolution"] = model_wide_level(config["mediaResolution"])
    gen = generation(model)
    if gen is None or gen >= (3, 0):
        return
    for turn, content in enumerate(body.get("contents", ())):
        for index, part in enumerate(content.get("parts", ())):
            if "mediaResolution" in part:
                raise UnsupportedContentError(
                    f"contents[{turn}].parts[{index}] sets its own media_resolution, which "
                    f"only Gemini 3 models take ({model} does not): remove it from the content "
                    "block and set media_resolution on the model for all media instead."
                )
