"""Gemini v1beta wire format (the subset we read and write), typed as `TypedDict`s.

Field names are exactly as on the wire (lowerCamelCase). Every key is optional (`total=False`):
Gemini omits fields freely (no `candidates` on a blocked prompt, `content: {}` on SAFETY, no
`parts` when thinking used up `maxOutputTokens`), so readers must use `.get()`.
See `../shared/reference/gemini-wire-format.md` of the project for the sources.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class Blob(TypedDict, total=False):
    mimeType: str
    data: str  # base64


class FileData(TypedDict, total=False):
    mimeType: str
    fileUri: str


class FunctionCall(TypedDict, total=False):
    id: str
    name: str
    args: dict[str, Any]


class FunctionResponse(TypedDict, total=False):
    id: str
    name: str
    response: dict[str, Any]
    parts: list[dict[str, Any]]


class ExecutableCode(TypedDict, total=False):
    id: str
    language: str
    code: str


class CodeExecutionResult(TypedDict, total=False):
    id: str
    outcome: str
    output: str


class Part(TypedDict, total=False):
    text: str
    thought: bool
    thoughtSignature: str
    inlineData: Blob
    fileData: FileData
    functionCall: FunctionCall
    functionResponse: FunctionResponse
    executableCode: ExecutableCode
    codeExecutionResult: CodeExecutionResult
    videoMetadata: dict[str, Any]
    mediaResolution: dict[str, Any]


Role = Literal["user", "model"]


class Content(TypedDict, total=False):
    role: Role
    parts: list[Part]


class SystemInstruction(TypedDict):
    parts: list[Part]


class UsageMetadata(TypedDict, total=False):
    promptTokenCount: int
    cachedContentTokenCount: int
    candidatesTokenCount: int
    thoughtsTokenCount: int
    toolUsePromptTokenCount: int
    totalTokenCount: int
    promptTokensDetails: list[dict[str, Any]]
    candidatesTokensDetails: list[dict[str, Any]]
    cacheTokensDetails: list[dict[str, Any]]
    toolUsePromptTokensDetails: list[dict[str, Any]]


class Candidate(TypedDict, total=False):
    content: Content
    finishReason: str
    finishMessage: str
    index: int
    safetyRatings: list[dict[str, Any]]
    citationMetadata: dict[str, Any]
    groundingMetadata: dict[str, Any]
    urlContextMetadata: dict[str, Any]
    avgLogprobs: float
    logprobsResult: dict[str, Any]


class PromptFeedback(TypedDict, total=False):
    blockReason: str
    blockReasonMessage: str
    safetyRatings: list[dict[str, Any]]


class GenerateContentResponse(TypedDict, total=False):
    candidates: list[Candidate]
    promptFeedback: PromptFeedback
    usageMetadata: UsageMetadata
    modelVersion: str
    responseId: str


class GenerateContentRequest(TypedDict, total=False):
    contents: list[Content]
    systemInstruction: SystemInstruction
    tools: list[dict[str, Any]]
    toolConfig: dict[str, Any]
    safetySettings: list[dict[str, str]]
    generationConfig: dict[str, Any]
    cachedContent: str
    serviceTier: str
