"""`_secrets`: which header names are credentials, and which values get scrubbed."""

from __future__ import annotations

import pytest

from langchain_tokenhot._secrets import header_env, is_secret_header, masked_headers, scrub_values


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "Proxy-Authorization",
        "Cookie",
        "X-Api-Key",
        "x-goog-api-key",
        "apikey",
        "X-Gateway-Token",
        "Auth",
        "Authentication",
        "Password",
        "Credentials",
        "X-Hub-Signature-256",
        "Authorization-Extra",
        "X-Session-Id",
        "X.Secret.Token",
    ],
)
def test_credential_header_names(name: str) -> None:
    assert is_secret_header(name)


@pytest.mark.parametrize(
    "name", ["X-Trace", "X-Team", "Content-Type", "User-Agent", "X-Org", "X-Request-Id"]
)
def test_ordinary_header_names(name: str) -> None:
    assert not is_secret_header(name)


def test_scrub_values_hold_key_header_values_and_bearer_tokens_longest_first() -> None:
    values = scrub_values(
        "sk-key-1",
        {"Proxy-Authorization": "Bearer proxy-token-42", "X-Trace": "visible", "Cookie": ""},
    )
    assert values == ("Bearer proxy-token-42", "proxy-token-42", "sk-key-1")


def test_masked_headers_and_env_names() -> None:
    assert masked_headers({"X-Api-Key": "v", "X-Trace": "t"}) == {
        "X-Api-Key": "**********",
        "X-Trace": "t",
    }
    assert masked_headers(None) is None
    assert header_env("X-Gateway.Token") == "TOKENHOT_HEADER_X_GATEWAY_TOKEN"
