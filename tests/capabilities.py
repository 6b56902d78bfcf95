"""What ChatTokenhotGemini supports, as langchain-tests capability flags.

One mixin for the standard unit and integration suites, so both always test the same claims.
"""

from __future__ import annotations

from langchain_tokenhot import ChatTokenhotGemini


class TokenhotCapabilities:
    @property
    def chat_model_class(self) -> type[ChatTokenhotGemini]:
        return ChatTokenhotGemini

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True
