"""LangChain chat model for the Gemini models served by Tokenhot.

```python
from langchain_tokenhot import ChatTokenhotGemini

llm = ChatTokenhotGemini(model="gemini-2.5-flash")  # key from TOKENHOT_API_KEY
llm.invoke("Hello").text
```
"""

from langchain_tokenhot._catalog import ModelInfo
from langchain_tokenhot._exceptions import (
    InvalidOptionError,
    MediaDownloadError,
    MediaURLRefusedError,
    TokenhotAuthenticationError,
    TokenhotConnectionError,
    TokenhotContextOverflowError,
    TokenhotError,
    TokenhotInvalidRequestError,
    TokenhotMalformedFunctionCallError,
    TokenhotNotFoundError,
    TokenhotPermissionDeniedError,
    TokenhotQuotaExhaustedError,
    TokenhotRateLimitError,
    TokenhotResponseError,
    TokenhotServerError,
    TokenhotTimeoutError,
    TokenhotTooManyOpenFilesError,
    ToolConversionError,
    UnknownOptionError,
    UnsupportedContentError,
)
from langchain_tokenhot._token_count import CountTokensBilledWarning
from langchain_tokenhot._version import __version__
from langchain_tokenhot.chat_models import ChatTokenhotGemini

__all__ = [
    "ChatTokenhotGemini",
    "CountTokensBilledWarning",
    "InvalidOptionError",
    "MediaDownloadError",
    "MediaURLRefusedError",
    "ModelInfo",
    "TokenhotAuthenticationError",
    "TokenhotConnectionError",
    "TokenhotContextOverflowError",
    "TokenhotError",
    "TokenhotInvalidRequestError",
    "TokenhotMalformedFunctionCallError",
    "TokenhotNotFoundError",
    "TokenhotPermissionDeniedError",
    "TokenhotQuotaExhaustedError",
    "TokenhotRateLimitError",
    "TokenhotResponseError",
    "TokenhotServerError",
    "TokenhotTimeoutError",
    "TokenhotTooManyOpenFilesError",
    "ToolConversionError",
    "UnknownOptionError",
    "UnsupportedContentError",
    "__version__",
]
