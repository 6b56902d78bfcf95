"""The media-URL policy, against local servers (127.0.0.1 only) and a resolver we control.

What a security reviewer asks of it: a URL to a loopback (or private, link-local...) address is
refused and the server there sees no request; a public-looking name that resolves to a private
address is refused; a redirect to a private address is refused at that hop; the allow option
lets a named host or network through; turning downloads off refuses everything; redirects are
bounded; the connection goes to the address that was checked; errors name the URL without its
secrets, the rule and the option.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import pickle
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage

from langchain_tokenhot import (
    ChatTokenhotGemini,
    InvalidOptionError,
    MediaDownloadError,
    MediaURLRefusedError,
    TokenhotError,
    _download,
)
from langchain_tokenhot._download import (
    MediaURLPolicy,
    adownload,
    download,
    forbidden_rule,
    safe_url,
)
from tests.support.fake_gemini import (
    Action,
    FakeGemini,
    RecordedRequest,
    error,
    json_response,
    raw,
    slow_body,
    slow_headers,
    unused_port,
)

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
TIMEOUT = httpx.Timeout(5.0)
ANSWER = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}
    ]
}


def media_server(request: RecordedRequest) -> Action:
    """Media at /cat.png; /to?u=URL redirects there; /loop redirects to itself; POST answers."""
    if request.method == "POST":
        return json_response(ANSWER)
    if request.path == "/cat.png":
        return json_response(PNG, headers={"Content-Type": "image/png"})
    if request.path == "/to":
        return json_response(b"", status=302, headers={"Location": request.query["u"]})
    if request.path == "/loop":
        return json_response(b"", status=301, headers={"Location": "/loop"})
    if request.path == "/cookie":
        headers = {"Content-Type": "image/png", "Set-Cookie": "media-session=tenant-a; Path=/"}
        return json_response(PNG, headers=headers)
    if request.path.startswith("/sized/"):  # /sized/<MB>/<name>: that many MB of "image"
        size = int(float(request.path.split("/")[2]) * 1024 * 1024)
        return json_response(PNG.ljust(size, b"\0"), headers={"Content-Type": "image/png"})
    if request.path == "/busy":
        return error(503)
    return error(404)


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini(default=media_server) as fake:
        yield fake


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names → addresses for the guarded backends; unknown names do not resolve. Records the
    names asked for under the key "asked"."""
    table: dict[str, list[str]] = {"asked": []}

    def resolve(host: str, port: int) -> list[str]:
        table["asked"].append(host)
        if host in table:
            return table[host]
        if host.replace(".", "").isdigit() or ":" in host:
            return [host]  # an IP literal
        raise OSError(f"test resolver: unknown host {host}")

    monkeypatch.setattr(_download, "resolve", resolve)
    return table


def policy(*allowed: str, enabled: bool = True) -> MediaURLPolicy:
    return MediaURLPolicy.from_options(enabled, list(allowed))


def fetch(url: str, pol: MediaURLPolicy) -> Any:
    return download(url, pol, timeout=TIMEOUT, deadline=5.0)


def image(url: str) -> list[HumanMessage]:
    return [HumanMessage([{"type": "text", "text": "what?"}, {"type": "image", "url": url}])]


def model(server: FakeGemini, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model="gemini-2.5-flash", api_key="test-key-123", base_url=server.base_url, **kw
    )


# -- the rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("fe80::1", "link-local (cloud metadata)"),
        ("fe80::1%eth0", "link-local (cloud metadata)"),
        ("100.64.0.1", "CGNAT (shared address space)"),
        ("100.127.255.254", "CGNAT (shared address space)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "reserved"),  # documentation range: not global
        ("fec0::1", "private"),  # site-local: IPv6's deprecated private range
        ("fec0:1:2::3", "private"),
        # IPv6 forms that carry an IPv4 address are judged by that address.
        ("::127.0.0.1", "loopback"),  # IPv4-compatible ::/96
        ("::10.0.0.1", "private"),
        ("::ffff:0:127.0.0.1", "loopback"),  # IPv4-translated ::ffff:0:0:0/96
        ("::ffff:0:a9fe:a9fe", "link-local (cloud metadata)"),
        ("64:ff9b::169.254.169.254", "link-local (cloud metadata)"),  # NAT64 64:ff9b::/96
        ("64:ff9b::127.0.0.1", "loopback"),
        ("64:ff9b::10.1.2.3", "private"),
        ("64:ff9b:1::a9fe:a9fe", "link-local (cloud metadata)"),  # local-use NAT64 /48
        ("64:ff9b:1:2::8.8.8.8", "reserved"),  # local-use: the operator's own translation
        ("2002:a9fe:a9fe::1", "link-local (cloud metadata)"),  # 6to4 2002::/16
        ("2002:7f00:1::1", "loopback"),
        ("2002:c0a8:101::1", "private"),
        ("2002:808:808::1", "reserved"),  # 6to4 of a public address: refused on every Python
        ("::ffff:169.254.169.254", "link-local (cloud metadata)"),
    ],
)
def test_non_public_addresses_are_refused_by_rule(address: str, rule: str) -> None:
    assert forbidden_rule(address) == rule


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "93.184.216.34",
        "2606:4700::1111",
        "172.32.0.1",
        "64:ff9b::8.8.8.8",  # NAT64 of a public address: as public as that address
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_rule(address) is None


def test_allowed_networks_and_names() -> None:
    pol = policy("media.intranet", "10.20.0.0/16", "127.0.0.1")
    assert pol.check_address("media.intranet", "10.9.9.9") is None  # by name
    assert pol.check_address("MEDIA.intranet.", "192.168.0.1") is None
    assert pol.check_address("other.intranet", "10.20.3.4") is None  # by network
    assert pol.check_address("other.intranet", "10.21.3.4") == "private"
    assert pol.check_address("x", "127.0.0.1") is None
    assert pol.check_address("x", "127.0.0.2") == "loopback"


@pytest.mark.parametrize(
    "entry",
    ["http://media.intranet/", "media.intranet:8080", "", " ", "a.intranet,b.intranet", "a;b"],
)
def test_bad_allow_entries_are_refused_at_construction(entry: Any) -> None:
    with pytest.raises(InvalidOptionError, match="media_allowed_hosts") as caught:
        ChatTokenhotGemini(model="gemini-2.5-flash", api_key="k", media_allowed_hosts=[entry])
    assert caught.value.option == "media_allowed_hosts"


# -- refusals: nothing is sent ------------------------------------------------------------------


def test_loopback_url_is_refused_and_the_server_sees_no_request(server: FakeGemini) -> None:
    url = f"http://127.0.0.1:{server.port}/cat.png"
    with pytest.raises(MediaURLRefusedError) as caught:
        model(server).invoke(image(url))
    err = caught.value
    assert server.requests == []  # neither the media GET nor the model POST
    assert err.rule == "loopback" and err.option == "media_allowed_hosts"
    assert err.host == "127.0.0.1"
    assert url in str(err)
    assert "media_allowed_hosts=['127.0.0.1']" in str(err)
    assert isinstance(err, ValueError) and isinstance(err, TokenhotError)


async def test_loopback_url_is_refused_async(server: FakeGemini) -> None:
    with pytest.raises(MediaURLRefusedError, match="loopback"):
        await model(server).ainvoke(image(f"http://127.0.0.1:{server.port}/cat.png"))
    assert server.requests == []


def test_ipv6_loopback_literal_is_refused(server: FakeGemini) -> None:
    with pytest.raises(MediaURLRefusedError, match="loopback"):
        fetch(f"http://[::1]:{server.port}/cat.png", policy())
    assert server.requests == []


def test_public_looking_name_resolving_to_a_private_address_is_refused(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    resolver["images.example.com"] = ["10.0.0.7"]
    with pytest.raises(MediaURLRefusedError) as caught:
        model(server).invoke(image("https://images.example.com/cat.png"))
    assert caught.value.rule == "private"
    assert "images.example.com resolves to 10.0.0.7" in str(caught.value)
    assert resolver["asked"] == ["images.example.com"]
    assert server.requests == []


def test_one_private_address_among_public_ones_refuses(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    resolver["cdn.example.com"] = ["93.184.216.34", "169.254.169.254"]
    with pytest.raises(MediaURLRefusedError, match=r"169\.254\.169\.254, a link-local"):
        fetch("http://cdn.example.com/x.png", policy())


def test_metadata_address_is_refused(server: FakeGemini) -> None:
    with pytest.raises(MediaURLRefusedError, match="link-local"):
        model(server).invoke(image("http://169.254.169.254/latest/meta-data/iam"))
    assert server.requests == []


def test_redirect_to_a_private_address_is_refused_at_that_hop(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    # The first hop is allowed; it redirects to a name that resolves to a private address.
    resolver["public.example.test"] = ["127.0.0.1"]
    resolver["internal.example.test"] = ["10.0.0.7"]
    secret_hop = f"http://internal.example.test:{server.port}/cat.png"
    url = f"http://public.example.test:{server.port}/to?u={secret_hop}"
    with pytest.raises(MediaURLRefusedError) as caught:
        model(server, media_allowed_hosts=["127.0.0.1"]).invoke(image(url))
    assert caught.value.rule == "private"
    assert "at redirect hop http://internal.example.test" in str(caught.value)
    assert "media_allowed_hosts=['internal.example.test']" in str(caught.value)
    # The redirecting server was asked once; the hop's target never, the model never.
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/to")]
    assert resolver["asked"] == ["public.example.test", "internal.example.test"]


async def test_redirect_to_metadata_is_refused_async(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    resolver["public.example.test"] = ["127.0.0.1"]
    url = f"http://public.example.test:{server.port}/to?u=http://169.254.169.254/latest/"
    with pytest.raises(MediaURLRefusedError, match="link-local"):
        await model(server, media_allowed_hosts=["public.example.test", "127.0.0.1"]).ainvoke(
            image(url)
        )
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/to")]


def test_redirect_to_another_scheme_is_refused(server: FakeGemini) -> None:
    url = f"http://127.0.0.1:{server.port}/to?u=file:///etc/passwd"
    with pytest.raises(MediaURLRefusedError) as caught:
        fetch(url, policy("127.0.0.1"))
    assert caught.value.rule == "scheme"
    assert "redirected to file:///etc/passwd" in str(caught.value)


def test_redirects_are_bounded(server: FakeGemini) -> None:
    with pytest.raises(MediaURLRefusedError, match="more than 5 redirects") as caught:
        fetch(f"http://127.0.0.1:{server.port}/loop", policy("127.0.0.1"))
    assert caught.value.rule == "redirects"
    assert len(server.requests) == 6


def test_disabled_downloads_refuse_every_url(server: FakeGemini) -> None:
    llm = model(server, download_media=False)
    for url in ("https://example.com/cat.png", f"http://127.0.0.1:{server.port}/cat.png"):
        with pytest.raises(MediaURLRefusedError) as caught:
            llm.invoke(image(url))
        assert caught.value.rule == "downloads disabled"
        assert caught.value.option == "download_media"
        assert "download_media=False" in str(caught.value)
    assert server.requests == []


def test_disabled_downloads_still_send_inline_media(server: FakeGemini) -> None:
    data = base64.b64encode(PNG).decode()
    model(server, download_media=False).invoke(
        [HumanMessage([{"type": "image", "base64": data, "mime_type": "image/png"}])]
    )
    [post] = server.requests
    assert post.json["contents"][0]["parts"][0]["inlineData"]["data"] == data


def test_copies_and_assignment_carry_their_own_media_policy(server: FakeGemini) -> None:
    """The policy is built from the fields like the transport: a copy or an assignment that
    changes them takes effect on the next call, and the original keeps its own."""
    url = f"http://127.0.0.1:{server.port}/cat.png"
    strict = model(server)
    strict.invoke("warm up")  # the strict policy is built and cached
    allowing = strict.model_copy(update={"media_allowed_hosts": ["127.0.0.1"]})
    allowing.invoke(image(url))
    assert [r.method for r in server.requests] == ["POST", "GET", "POST"]
    with pytest.raises(MediaURLRefusedError):
        strict.invoke(image(url))
    allowing.download_media = False
    with pytest.raises(MediaURLRefusedError) as caught:
        allowing.invoke(image(url))
    assert caught.value.option == "download_media"
    assert len(server.requests) == 3  # neither refusal reached a server
    with pytest.raises(ValueError, match="media_allowed_hosts"):
        strict.model_copy(update={"media_allowed_hosts": ["not a host/99"]})


# -- allowed hosts: the download happens, at the checked address -------------------------------


def test_allowed_ip_downloads(server: FakeGemini) -> None:
    model(server, media_allowed_hosts=["127.0.0.1"]).invoke(
        image(f"http://127.0.0.1:{server.port}/cat.png")
    )
    get, post = server.requests
    assert (get.method, get.path) == ("GET", "/cat.png")
    assert "authorization" not in get.headers
    assert (
        post.json["contents"][0]["parts"][1]["inlineData"]["data"] == base64.b64encode(PNG).decode()
    )


def test_allowed_name_connects_to_the_address_it_resolved_to(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    # The system resolver does not know this name: the request can only reach the server
    # because the guarded backend connects to the address it resolved and checked. (Loopback
    # needs its address listed too, see test_a_name_allowed_is_not_let_into_loopback_...)
    resolver["media.intranet"] = ["127.0.0.1"]
    got = fetch(
        f"http://media.intranet:{server.port}/cat.png", policy("media.intranet", "127.0.0.1")
    )
    assert got.data == PNG and got.mime_type == "image/png"
    [get] = server.requests
    assert get.headers["host"] == f"media.intranet:{server.port}"
    assert resolver["asked"] == ["media.intranet"]


def test_allowed_network_covers_every_name_in_it(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    resolver["a.intranet"] = ["127.0.0.1"]
    pol = policy("127.0.0.0/8")
    assert fetch(f"http://a.intranet:{server.port}/cat.png", pol).data == PNG


async def test_allowed_host_downloads_async(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    resolver["media.intranet"] = ["127.0.0.1"]
    got = await adownload(
        f"http://media.intranet:{server.port}/cat.png",
        policy("media.intranet", "127.0.0.1"),
        timeout=TIMEOUT,
        deadline=5.0,
    )
    assert got.data == PNG


def test_allowed_redirect_chain_is_followed(server: FakeGemini) -> None:
    target = f"http://127.0.0.1:{server.port}/cat.png"
    got = fetch(f"http://127.0.0.1:{server.port}/to?u={target}", policy("127.0.0.1"))
    assert got.data == PNG
    assert [r.path for r in server.requests] == ["/to", "/cat.png"]


def test_unresolvable_host_is_a_download_error(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    with pytest.raises(MediaDownloadError, match=r"nowhere\.test") as caught:
        fetch("http://nowhere.test/cat.png", policy())
    assert not isinstance(caught.value, MediaURLRefusedError)
    assert caught.value.is_retryable  # a transport failure: may be transient


# -- errors name the real party, without secrets --------------------------------------------------


def test_media_host_status_is_named_and_not_blamed_on_tokenhot(server: FakeGemini) -> None:
    with pytest.raises(MediaDownloadError) as caught:
        model(server, media_allowed_hosts=["127.0.0.1"]).invoke(
            image(f"http://127.0.0.1:{server.port}/busy")
        )
    err = caught.value
    assert str(err).startswith("could not download media http://127.0.0.1:")
    assert "the media host 127.0.0.1 answered HTTP 503" in str(err)
    assert "Tokenhot HTTP" not in str(err)
    assert (err.media_status, err.status_code, err.is_retryable) == (503, None, True)
    assert [r.method for r in server.requests] == ["GET"]  # the model was not called


def test_refused_url_is_named_without_credentials_or_query_secrets(server: FakeGemini) -> None:
    url = f"http://alice:hunter2@127.0.0.1:{server.port}/cat.png?X-Amz-Signature=s3cr3t&size=2"
    with pytest.raises(MediaURLRefusedError) as caught:
        model(server).invoke(image(url))
    text = str(caught.value) + repr(caught.value) + str(caught.value.url)
    for secret in ("alice", "hunter2", "s3cr3t"):
        assert secret not in text
    assert f"http://127.0.0.1:{server.port}/cat.png?X-Amz-Signature=***&size=***" in text


def test_safe_url_bounds_length() -> None:
    assert len(safe_url("https://example.com/" + "a" * 500)) == 160


@pytest.mark.parametrize(
    "make",
    [
        lambda: MediaDownloadError("m", url="u", host="h", media_status=404, transient=False),
        lambda: MediaURLRefusedError("m", url="u", host="h", rule="loopback", option="o"),
    ],
)
def test_download_errors_pickle(make: Callable[[], MediaDownloadError]) -> None:
    err = make()
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err)
    assert (again.url, again.host) == ("u", "h")
    if isinstance(err, MediaURLRefusedError):
        assert (again.rule, again.option) == ("loopback", "o")  # type: ignore[attr-defined]


def test_download_clients_ignore_environment_proxies(
    server: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would connect to the refused address on our behalf.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{server.port}")
    pol = policy("refuses-nothing-else.test")
    client = _download.guarded_client(pol)
    assert not client._mounts  # no proxy transports
    with pytest.raises(MediaURLRefusedError):
        fetch("http://10.1.2.3/x.png", pol)
    assert server.requests == []


# -- the deadline bounds the whole download -----------------------------------------------------


def _timed_out_within(seconds: float, run: Callable[[], Any]) -> MediaDownloadError:
    start = time.monotonic()
    with pytest.raises(MediaDownloadError) as caught:
        run()
    assert time.monotonic() - start < seconds
    return caught.value


def test_slow_headers_are_cut_at_the_deadline_not_the_read_timeout(server: FakeGemini) -> None:
    # httpx's read timeout (5 s) alone would wait out the server's 3 s and succeed.
    server.enqueue(
        slow_headers(3.0, then=json_response(PNG, headers={"Content-Type": "image/png"}))
    )
    err = _timed_out_within(
        2.5,
        lambda: download(
            f"http://127.0.0.1:{server.port}/cat.png",
            policy("127.0.0.1"),
            timeout=TIMEOUT,
            deadline=0.5,
        ),
    )
    assert err.is_retryable and "within 0.5 s" in str(err)


def test_trickling_body_is_cut_at_the_deadline(server: FakeGemini) -> None:
    server.enqueue(slow_body(0.2, PNG * 4, chunk_size=4))  # ~6 s in all, each read quick
    _timed_out_within(
        2.5,
        lambda: download(
            f"http://127.0.0.1:{server.port}/cat.png",
            policy("127.0.0.1"),
            timeout=TIMEOUT,
            deadline=0.5,
        ),
    )


async def test_async_slow_headers_are_cut_at_the_deadline(server: FakeGemini) -> None:
    server.enqueue(
        slow_headers(3.0, then=json_response(PNG, headers={"Content-Type": "image/png"}))
    )
    start = time.monotonic()
    with pytest.raises(MediaDownloadError, match=r"within 0\.5 s"):
        await adownload(
            f"http://127.0.0.1:{server.port}/cat.png",
            policy("127.0.0.1"),
            timeout=TIMEOUT,
            deadline=0.5,
        )
    assert time.monotonic() - start < 2.5


async def test_cancelled_async_download_does_not_reach_httpcore(server: FakeGemini) -> None:
    # The caller gives up; the download task finishes on its own (bounded by its deadline) and
    # the pool ends with no connection left checked out.
    server.enqueue(
        slow_headers(0.3, then=json_response(PNG, headers={"Content-Type": "image/png"}))
    )
    pol = policy("127.0.0.1")
    call = asyncio.ensure_future(
        adownload(f"http://127.0.0.1:{server.port}/cat.png", pol, timeout=TIMEOUT, deadline=5.0)
    )
    await asyncio.sleep(0.1)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    while _download._RUNNING:
        await asyncio.sleep(0.05)
    pool = _download.guarded_async_client(pol)._transport._pool  # type: ignore[attr-defined]
    assert all(c.is_idle() or c.is_closed() for c in pool.connections)
    assert len(server.requests) == 1


@pytest.mark.parametrize("how", ["invoke", "stream", "ainvoke", "astream"])
async def test_bad_options_fail_before_any_media_is_downloaded(
    server: FakeGemini, how: str
) -> None:
    llm = model(server, media_allowed_hosts=["127.0.0.1"])
    messages = image(f"http://127.0.0.1:{server.port}/cat.png")
    with pytest.raises(InvalidOptionError) as caught:
        if how == "invoke":
            llm.invoke(messages, temperature="hot")
        elif how == "stream":
            list(llm.stream(messages, n=2))
        elif how == "ainvoke":
            await llm.ainvoke(messages, temperature="hot")
        else:
            [c async for c in llm.astream(messages, n=2)]
    assert caught.value.option in ("temperature", "n")
    assert server.requests == []  # not even the media GET


def test_connection_is_made_to_the_checked_address_not_the_name(
    server: FakeGemini, resolver: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: if anything resolved the name again after our check, it could get another
    # answer. The only lookups allowed below the guard are of the checked IP literal.
    import socket

    looked_up: list[str] = []
    real = socket.getaddrinfo

    def recording(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    resolver["media.intranet"] = ["127.0.0.1"]
    got = fetch(f"http://media.intranet:{server.port}/cat.png", policy("127.0.0.0/8"))
    assert got.data == PNG
    assert "media.intranet" not in looked_up
    assert resolver["asked"] == ["media.intranet"]


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0x7f.0.0.1",
        "127.1",
        "[::ffff:127.0.0.1]",
        "[::127.0.0.1]",
        "[64:ff9b::127.0.0.1]",
        "[2002:7f00:1::1]",
    ],
)
def test_obfuscated_loopback_forms_are_refused(server: FakeGemini, host: str) -> None:
    with pytest.raises(MediaURLRefusedError):
        fetch(f"http://{host}:{server.port}/cat.png", policy())
    assert server.requests == []


# -- compressed answers: never decompressed past the cap ---------------------------------------


def test_downloads_ask_for_identity_encoding(server: FakeGemini) -> None:
    fetch(f"http://127.0.0.1:{server.port}/cat.png", policy("127.0.0.1"))
    [get] = server.requests
    assert get.headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "zstd", "br", "gzip, identity"])
async def test_a_compressed_answer_is_refused_not_decompressed(
    server: FakeGemini, encoding: str
) -> None:
    # 30 MB of zeros compress to ~30 KB: decompressed, they would pass a 20 MB cap in memory.
    bomb = gzip.compress(bytes(30 * 1024 * 1024))
    answer = json_response(
        bomb, headers={"Content-Type": "image/png", "Content-Encoding": encoding}
    )
    server.enqueue(answer, answer)
    url = f"http://127.0.0.1:{server.port}/cat.png"
    for run in ("sync", "async"):
        with pytest.raises(MediaDownloadError) as caught:
            if run == "sync":
                fetch(url, policy("127.0.0.1"))
            else:
                await adownload(url, policy("127.0.0.1"), timeout=TIMEOUT, deadline=5.0)
        assert f"Content-Encoding: {encoding}" in str(caught.value)
        assert "identity" in str(caught.value)
        assert not caught.value.is_retryable


def test_an_identity_content_encoding_is_accepted(server: FakeGemini) -> None:
    server.enqueue(
        json_response(PNG, headers={"Content-Type": "image/png", "Content-Encoding": "identity"})
    )
    assert fetch(f"http://127.0.0.1:{server.port}/cat.png", policy("127.0.0.1")).data == PNG


# -- pooled download clients keep no cookies ----------------------------------------------------


async def test_a_cookie_set_by_a_media_host_is_never_sent_back(server: FakeGemini) -> None:
    # One pooled client per policy serves every model (tenant) with that policy.
    pol = policy("127.0.0.1")
    base = f"http://127.0.0.1:{server.port}"
    fetch(f"{base}/cookie", pol)
    fetch(f"{base}/cat.png", pol)
    await adownload(f"{base}/cookie", pol, timeout=TIMEOUT, deadline=5.0)
    await adownload(f"{base}/cat.png", pol, timeout=TIMEOUT, deadline=5.0)
    assert [r.headers.get("cookie") for r in server.requests] == [None] * 4


# -- per-call limits: the whole request stays inline-sized ----------------------------------------


def images(*urls: str) -> list[HumanMessage]:
    return [
        HumanMessage(
            [{"type": "text", "text": "what?"}] + [{"type": "image", "url": u} for u in urls]
        )
    ]


@pytest.mark.parametrize("how", ["invoke", "ainvoke"])
async def test_too_many_media_urls_are_refused_before_any_download(
    server: FakeGemini, how: str
) -> None:
    llm = model(server, media_allowed_hosts=["127.0.0.1"])
    urls = [f"http://127.0.0.1:{server.port}/cat.png?n={i}" for i in range(17)]
    with pytest.raises(MediaDownloadError) as caught:
        if how == "invoke":
            llm.invoke(images(*urls))
        else:
            await llm.ainvoke(images(*urls))
    err = caught.value
    assert err.limit == "media URLs per call" and not err.is_retryable
    assert "17 media URLs" in str(err) and "at most 16" in str(err)
    assert "Files API" in str(err)
    assert server.requests == []


def test_sixteen_media_urls_are_downloaded(server: FakeGemini) -> None:
    urls = [f"http://127.0.0.1:{server.port}/cat.png?n={i}" for i in range(16)]
    model(server, media_allowed_hosts=["127.0.0.1"]).invoke(images(*urls))
    assert [r.method for r in server.requests] == ["GET"] * 16 + ["POST"]


@pytest.mark.parametrize("how", ["invoke", "ainvoke"])
async def test_the_total_downloaded_per_call_is_capped(server: FakeGemini, how: str) -> None:
    # Each is under the per-URL cap; the third would take the call past 20 MB in all.
    llm = model(server, media_allowed_hosts=["127.0.0.1"])
    urls = [f"http://127.0.0.1:{server.port}/sized/8/{i}.png" for i in range(4)]
    with pytest.raises(MediaDownloadError) as caught:
        if how == "invoke":
            llm.invoke(images(*urls))
        else:
            await llm.ainvoke(images(*urls))
    err = caught.value
    assert err.limit == "bytes per call"
    assert "/sized/8/2.png would take this call's downloads past 20 MB in all" in str(err)
    assert "16.0 MB downloaded before it" in str(err) and "Files API" in str(err)
    # The third was stopped at its Content-Length; the fourth never asked; the model never.
    assert [r.path for r in server.requests] == [f"/sized/8/{i}.png" for i in range(3)]


def test_a_call_at_the_total_cap_sends_nothing_more(server: FakeGemini) -> None:
    llm = model(server, media_allowed_hosts=["127.0.0.1"])
    urls = [f"http://127.0.0.1:{server.port}/sized/10/{i}.png" for i in range(3)]
    with pytest.raises(MediaDownloadError, match=r"20\.0 MB downloaded before it") as caught:
        llm.invoke(images(*urls))
    assert caught.value.limit == "bytes per call"
    assert [r.path for r in server.requests] == ["/sized/10/0.png", "/sized/10/1.png"]
    server.clear()
    llm.invoke(images(*urls[:2]))  # exactly 20 MB: allowed
    assert [r.method for r in server.requests] == ["GET", "GET", "POST"]


def test_a_body_without_length_is_stopped_at_the_call_total(server: FakeGemini) -> None:
    body = PNG.ljust(15 * 1024 * 1024, b"\0")
    first = json_response(PNG.ljust(15 * 1024 * 1024, b"\0"), headers={"Content-Type": "image/png"})
    server.enqueue(first, raw(b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n\r\n" + body))
    urls = [f"http://127.0.0.1:{server.port}/{i}.png" for i in range(2)]
    with pytest.raises(MediaDownloadError) as caught:
        model(server, media_allowed_hosts=["127.0.0.1"]).invoke(images(*urls))
    assert caught.value.limit == "bytes per call"
    assert [r.method for r in server.requests] == ["GET", "GET"]


# -- each policy has pooled clients of its own ----------------------------------------------------


def test_policies_share_download_clients_only_when_equal(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    # A pooled client's backend enforces the policy it was built with: a policy given another
    # policy's client would be enforced by the other's allow-list.
    resolver["a"] = resolver["b"] = resolver["c"] = ["127.0.0.1"]
    wide = policy("a", "b", "127.0.0.1")
    assert fetch(f"http://a:{server.port}/cat.png", wide).data == PNG
    assert _download.guarded_client(policy("b", "A", "127.0.0.1")) is _download.guarded_client(wide)
    for other in (policy("a", "127.0.0.1"), policy("a", "b"), policy("b", "c"), policy()):
        assert _download.guarded_client(other) is not _download.guarded_client(wide)
    with pytest.raises(MediaURLRefusedError):
        fetch(f"http://a:{server.port}/cat.png", policy("b", "c"))
    assert len(server.requests) == 1
    # The key is the settings themselves, not a string joined from them: a policy built
    # directly (not from the option, which refuses commas) with the one host "a,b" allows no
    # host named a, and gets a client of its own.
    odd = MediaURLPolicy(allowed_hosts=frozenset({"a,b"}))
    assert _download.guarded_client(odd) is not _download.guarded_client(wide)
    with pytest.raises(MediaURLRefusedError, match="loopback"):
        fetch(f"http://a:{server.port}/cat.png", odd)
    assert len(server.requests) == 1


# -- the full URL is not reachable from a raised error --------------------------------------------


def _chain(err: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


@pytest.mark.parametrize("how", ["invoke", "ainvoke"])
@pytest.mark.parametrize("failure", ["connection refused", "deadline", "refused hop"])
async def test_a_download_error_has_no_context_holding_the_full_url(
    server: FakeGemini, resolver: dict[str, list[str]], how: str, failure: str
) -> None:
    # The httpx exception a download error replaces holds the request, full URL included: it
    # must be neither the cause nor the context of what the caller gets.
    secret = "X-Amz-Signature=SIGSECRET123&token=TOK456"
    if failure == "connection refused":
        url = f"http://127.0.0.1:{unused_port()}/img.png?{secret}"
    elif failure == "deadline":
        server.enqueue(slow_headers(3.0))
        url = f"http://127.0.0.1:{server.port}/cat.png?{secret}"
    else:
        resolver["internal.example.test"] = ["10.0.0.7"]
        url = f"http://127.0.0.1:{server.port}/to?u=http://internal.example.test/x.png?{secret}"
    llm = model(server, media_allowed_hosts=["127.0.0.1"], timeout=0.5)
    with pytest.raises(MediaDownloadError) as caught:
        if how == "invoke":
            llm.invoke(image(url))
        else:
            await llm.ainvoke(image(url))
    err = caught.value
    assert isinstance(err, MediaURLRefusedError) == (failure == "refused hop")
    assert err.__context__ is None and err.__cause__ is None
    assert "SIGSECRET123" not in repr(_chain(err)) and "SIGSECRET123" not in str(err)


# -- a host allowed by name still cannot reach loopback or metadata ------------------------------


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("0.0.0.0", "unspecified"),  # connecting to it reaches the local host
    ],
)
def test_a_name_allowed_is_not_let_into_loopback_or_metadata(
    server: FakeGemini, resolver: dict[str, list[str]], address: str, rule: str
) -> None:
    # The name is the operator's choice; what its DNS answers is not (a partner's zone, a
    # compromised record): pointing it at the metadata address must not open that.
    resolver["media.partner.test"] = [address]
    url = f"http://media.partner.test:{server.port}/cat.png"
    with pytest.raises(MediaURLRefusedError) as caught:
        model(server, media_allowed_hosts=["media.partner.test"]).invoke(image(url))
    err = caught.value
    assert err.rule == rule and err.option == "media_allowed_hosts"
    assert "a host allowed by name may not reach" in str(err)
    assert f"media_allowed_hosts=['media.partner.test', '{address}']" in str(err)
    assert server.requests == []


def test_a_name_allowed_reaches_private_addresses_and_a_listed_loopback(
    server: FakeGemini, resolver: dict[str, list[str]]
) -> None:
    pol = policy("media.intranet")
    for address in ("10.1.2.3", "192.168.1.1", "fd00::1", "100.64.0.1"):
        assert pol.check_address("media.intranet", address) is None
    assert pol.check_address("media.intranet", "::1") == "loopback"
    assert pol.check_address("media.intranet", "fe80::1") == "link-local (cloud metadata)"
    resolver["media.intranet"] = ["127.0.0.1"]
    got = fetch(
        f"http://media.intranet:{server.port}/cat.png", policy("media.intranet", "127.0.0.0/8")
    )
    assert got.data == PNG


def test_a_bad_allow_list_assigned_later_fails_even_a_text_only_call() -> None:
    # The policy is built (and checked) on every call, not only when a message holds a URL.
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"candidates": []})

    llm = ChatTokenhotGemini(
        model="gemini-2.5-flash",
        api_key="k",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    llm.media_allowed_hosts = ["https://media.intranet:8443"]
    with pytest.raises(InvalidOptionError, match="media_allowed_hosts"):
        llm.invoke("hi")
    assert sent == []
