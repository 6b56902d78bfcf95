"""Media resolution rules: per part on Gemini 3, model-wide everywhere.

A media content block may carry its own `media_resolution` (translated by `_media` into the
part's `mediaResolution`), which only Gemini 3 takes; the per-part-only `ULTRA_HIGH` level
cannot be asked for model-wide (`_request.media_resolution` refuses it there). The per-part
rule is checked here, on the request body, before sending.
"""

from __future__ import annotations

from ._exceptions import UnsupportedContentError
from ._profiles import generation
from ._wire import GenerateContentRequest


def check_media_resolution(model: str, body: GenerateContentRequest) -> None:
    """Refuse per-part levels a model cannot take (the model-wide level is checked and
    normalised with the other options, by `_request.media_resolution`).

    Raises:
        UnsupportedContentError: a content block sets its own resolution on a model before
            Gemini 3.
    """
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
