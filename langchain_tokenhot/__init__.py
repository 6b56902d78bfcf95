"""Chat model integration for Gemini models served by Tokenhot."""
