"""Per-tenant copies and assigned fields take effect on the next call; the original keeps its
own key, URL, headers, timeout and retries. Copies share only the connection pool."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from langchain_tokenhot import TokenhotServerError
from tests.deployment.workers import echo, make
from tests.support.fake_gemini import FakeGemini, error


@pytest.fixture
def other() -> Iterator[FakeGemini]:
    with FakeGemini(default=echo) as fake:
        yield fake


def _auth(server: FakeGemini) -> list[str]:
    return [r.headers.get("authorization", "") for r in server.requests]


def test_model_copy_with_a_new_key_url_and_headers(server: FakeGemini, other: FakeGemini) -> None:
    tenant_a = make(server.base_url, api_key="key-a", default_headers={"x-tenant": "a"})
    assert tenant_a.invoke("a1").text == "answer to a1"  # its transport is built and cached
    tenant_b = tenant_a.model_copy(
        update={
            "api_key": "key-b",
            "base_url": other.base_url,
            "default_headers": {"x-tenant": "b"},
        }
    )
    assert tenant_b.invoke("b1").text == "answer to b1"
    assert tenant_a.invoke("a2").text == "answer to a2"
    assert _auth(server) == ["Bearer key-a", "Bearer key-a"]
    assert _auth(other) == ["Bearer key-b"]
    assert [r.headers["x-tenant"] for r in server.requests] == ["a", "a"]
    assert other.requests[0].headers["x-tenant"] == "b"
    assert isinstance(tenant_b.api_key, SecretStr)  # validated like a constructor argument
    assert "key-b" not in repr(tenant_b)


def test_model_copy_keeps_timeouts_and_retries_apart(server: FakeGemini) -> None:
    patient = make(server.base_url, max_retries=0)
    patient.invoke("warm")
    retrying = patient.model_copy(update={"max_retries": 2})
    server.enqueue(error(503), error(503))
    assert retrying.invoke("retried").text == "answer to retried"
    server.enqueue(error(503))
    with pytest.raises(TokenhotServerError):
        patient.invoke("not retried")


def test_attribute_assignment_reaches_the_next_call(server: FakeGemini, other: FakeGemini) -> None:
    llm = make(server.base_url, api_key="old-key")
    llm.invoke("before")
    llm.api_key = "new-key"  # type: ignore[assignment]
    llm.invoke("new key")
    llm.base_url = other.base_url
    llm.default_headers = {"x-tenant": "c"}
    llm.invoke("new url")
    llm.auth_header = "x-goog-api-key"
    llm.invoke("google header")
    assert _auth(server) == ["Bearer old-key", "Bearer new-key"]
    assert _auth(other)[0] == "Bearer new-key"
    assert other.requests[0].headers["x-tenant"] == "c"
    assert other.requests[1].headers["x-goog-api-key"] == "new-key"
    assert "authorization" not in other.requests[1].headers


def test_bad_assignment_and_unknown_copy_fields_are_refused(server: FakeGemini) -> None:
    llm = make(server.base_url, streaming=True)
    with pytest.raises(ValidationError, match="max_retries"):
        llm.max_retries = -1
    assert llm.max_retries == 0
    with pytest.raises(ValidationError, match="streaming"):
        llm.n = 2  # refused by the model's own check (n > 1 with streaming=True)
    assert llm.n == 1
    with pytest.raises(ValueError, match="unknown field"):
        llm.model_copy(update={"api_kee": "typo"})
    with pytest.raises(ValidationError, match="auth_header"):
        llm.model_copy(update={"auth_header": "cookie"})
    llm.invoke("still fine")
    assert _auth(server) == [f"Bearer {llm.api_key.get_secret_value()}"]  # type: ignore[union-attr]


def test_copies_share_the_connection_pool(server: FakeGemini) -> None:
    llm = make(server.base_url, api_key="key-a")
    llm.invoke("a")
    llm.model_copy(update={"api_key": "key-b"}).invoke("b")
    copy.copy(llm).invoke("c")
    copy.deepcopy(llm).invoke("d")
    pickle.loads(pickle.dumps(llm)).invoke("e")
    assert _auth(server) == ["Bearer key-a", "Bearer key-b"] + ["Bearer key-a"] * 3
    assert server.total_connections == 1


def test_copies_share_your_own_clients_and_pickling_them_is_refused(server: FakeGemini) -> None:
    with httpx.Client() as client:
        llm = make(server.base_url, api_key="key-a", http_client=client)
        deep = llm.model_copy(update={"api_key": "key-b"}, deep=True)
        assert deep.http_client is client and copy.deepcopy(llm).http_client is client
        deep.invoke("deep copy")
        llm.invoke("original")
        assert _auth(server) == ["Bearer key-b", "Bearer key-a"]
        assert server.total_connections == 1  # both on the one client's pool
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(llm)


def test_a_key_assigned_while_the_transport_is_built_is_not_lost(
    server: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread assigns a tenant's new key while this one builds the transport from the
    old key: the stale transport serves the call already under way, but is not kept."""
    from langchain_tokenhot import chat_models

    llm = make(server.base_url, api_key="sk-old-key-0000000001")
    real = chat_models.normalize_base_url

    def assign_meanwhile(url: str) -> str:
        monkeypatch.setattr(chat_models, "normalize_base_url", real)  # once
        llm.api_key = SecretStr("sk-new-key-0000000002")  # as the other thread would
        return real(url)

    monkeypatch.setattr(chat_models, "normalize_base_url", assign_meanwhile)
    llm.invoke("first")  # built from the old key while it changed
    llm.invoke("second")
    assert _auth(server) == ["Bearer sk-old-key-0000000001", "Bearer sk-new-key-0000000002"]
