"""Output schemas shared by the tool-conversion and structured-output tests: three nested
levels, the shape of the recorded `structured_output` request (tests/fixtures/gemini)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NestedModel(BaseModel):
    """Represents the deepest nested level."""

    name: str = Field(description="Name of the item")
    value: int = Field(description="Value of the item")


class MiddleModel(BaseModel):
    """Represents the middle nested level."""

    title: str = Field(description="Title of the page")
    items: list[NestedModel] = Field(description="List of nested items")


class TopModel(BaseModel):
    """Represents the top-level structure."""

    name: str = Field(description="Name of the collection")
    pages: list[MiddleModel] = Field(description="List of pages")
