"""Media-URL downloads under a server-side-request-forgery policy.

A media URL in a message may come from an end user, and our process fetches it: without a
policy, `http://169.254.169.254/...` or `http://127.0.0.1:8080/admin` would be downloaded and
its bytes inlined into the prompt. So every download goes through `download` / `adownload`:

* only `http` and `https` URLs;
* the host is resolved by us (`resolve`), *every* resolved address is checked, and the
  connection is made to a checked address itself (a guarded httpcore network backend), so a
  DNS answer that changes between check and connect (rebinding) cannot slip through;
* loopback, private (RFC 1918, `fc00::/7`), link-local (`169.254.0.0/16`, `fe80::/10`, cloud
  metadata), CGNAT (`100.64.0.0/10`), multicast, reserved, unspecified and every other
  non-global address are refused unless the host or network is allowed (a host allowed by
  name still may not reach loopback, link-local or unspecified addresses: only a listed network
  lifts those);
* redirects are followed by hand, at most `MediaURLPolicy.max_redirects`, each hop checked the
  same way (its connection goes through the same backend);
* the body is size-capped (`MAX_DOWNLOAD_BYTES`), and so is the total one call downloads, from at
  most `MAX_DOWNLOADS_PER_CALL` URLs (`MediaBudget`); the whole download (every hop, connect and
  each read, headers included) is bounded by the deadline;
* downloads ask for `Accept-Encoding: identity` and refuse an answer compressed anyway: a few
  KB of gzip or zstd decompress to gigabytes in one read, before any size check could run.

A refusal raises `MediaURLRefusedError` (before anything is sent to the model), a failed
download `MediaDownloadError`; both name the URL with its credentials and query values masked.
Download requests never carry the API key or a cookie (the pooled clients keep none), and the
pooled download clients (one per policy, see `_pool`) never use environment proxies: a proxy
would connect on our behalf to the address we refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import anyio
import httpcore
import httpx

from ._exceptions import InvalidOptionError, MediaDownloadError, MediaURLRefusedError
from ._media import Downloaded
from ._pool import PoolKey, loop_client, no_cookie_jar, process_client, shared_ssl_context

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""Size cap for the media URLs we download to inline, each and all of one call together
(Gemini's inline request limit is for the whole request)."""
MAX_DOWNLOADS_PER_CALL = 16
"""Media URLs downloaded for one call at most (each may take a whole deadline)."""
MAX_REDIRECTS = 5
"""Redirect hops followed per download (each checked like the first URL)."""

ALLOW_OPTION = "media_allowed_hosts"
DISABLE_OPTION = "download_media"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# (rule name, networks), in the order a refusal names them. Anything else that is not globally
# routable is refused as "reserved" (documentation ranges, benchmarking, 6to4 relays, ...).
_RULES: tuple[tuple[str, tuple[_Network, ...]], ...] = (
    ("unspecified", (ipaddress.ip_network("0.0.0.0/8"), ipaddress.ip_network("::/128"))),
    ("loopback", (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))),
    (
        "link-local (cloud metadata)",
        (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10")),
    ),
    (
        "private",
        (
            ipaddress.ip_network("10.0.0.0/8"),
            ipaddress.ip_network("172.16.0.0/12"),
            ipaddress.ip_network("192.168.0.0/16"),
            ipaddress.ip_network("fc00::/7"),
            # Site-local: deprecated, but a network that still routes it means it privately.
            ipaddress.ip_network("fec0::/10"),
        ),
    ),
    ("CGNAT (shared address space)", (ipaddress.ip_network("100.64.0.0/10"),)),
    ("multicast", (ipaddress.ip_network("224.0.0.0/4"), ipaddress.ip_network("ff00::/8"))),
)
_NEVER_BY_NAME = frozenset({"loopback", "link-local (cloud metadata)", "unspecified"})
"""Rules an allowed host name does not lift (see `MediaURLPolicy.check_address`); unspecified
because a connection to `0.0.0.0` reaches the local host."""
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})
_SECRET_QUERY_VALUE = "***"


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (IP literals resolve to themselves).

    Module-level so tests can substitute a resolver they control (the guarded backends look it
    up at connect time).
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# IPv6 prefixes whose addresses carry an IPv4 address in their low 32 bits, which a translator
# or tunnel on the path may connect to: `64:ff9b::169.254.169.254` reaches the metadata address
# through NAT64. (IPv4-mapped `::ffff:0:0/96` is `ipv4_mapped`; 6to4 is `sixtofour`.)
_IPV4_IN_LOW_BITS = (
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64, well-known prefix (RFC 6052)
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765)
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated, RFC 4291)
)
# Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the operator's prefix
# length, so an address in it is refused unless its low 32 bits name a rule more precisely.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
# 6to4 is deprecated (RFC 7526) and Python 3.13's registry already calls it non-global while
# 3.11's does not: refused whatever it embeds, so the rule is the same on every Python.
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_NOT_EMBEDDING = (ipaddress.IPv6Address("::"), ipaddress.IPv6Address("::1"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address `ip` carries (mapped, translated, compatible, NAT64, 6to4), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NOT_EMBEDDING:
        return None  # the unspecified and loopback addresses, not IPv4-compatible ones
    if ip in _LOCAL_NAT64 or any(ip in prefix for prefix in _IPV4_IN_LOW_BITS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden_rule(address: str) -> str | None:
    """The rule that refuses `address` by default, or None for a global address.

    An IPv6 address carrying an IPv4 address is refused by that address's rule first.
    """
    ip: _Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            rule = forbidden_rule(str(embedded))
            if rule is not None or ip.ipv4_mapped is not None:
                return rule  # ::ffff:127.0.0.1 is 127.0.0.1
            if ip in _LOCAL_NAT64 or ip in _SIX_TO_FOUR:
                return "reserved"
    for rule, networks in _RULES:
        if any(ip in network for network in networks):
            return rule
    if not ip.is_global:
        return "reserved"
    return None


@dataclass(frozen=True, slots=True)
class MediaURLPolicy:
    """Which media URLs may be downloaded.

    Attributes:
        enabled: False refuses every http(s) media URL (`download_media=False`).
        allowed_hosts: host names (lower case) whose addresses are not checked.
        allowed_networks: networks whose addresses are allowed although not global.
        max_redirects: redirect hops followed, each checked like the first URL.
    """

    enabled: bool = True
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[_Network, ...] = ()
    max_redirects: int = MAX_REDIRECTS

    @classmethod
    def from_options(cls, enabled: bool, allowed: Iterable[str] | None) -> MediaURLPolicy:
        """The policy for `download_media` / `media_allowed_hosts` (InvalidOptionError on a
        bad entry)."""
        hosts: set[str] = set()
        networks: list[_Network] = []
        for entry in allowed or ():
            if not isinstance(entry, str) or not entry.strip():
                raise InvalidOptionError(
                    ALLOW_OPTION,
                    f"{ALLOW_OPTION} takes host names or networks such as 'media.intranet' or "
                    f"'10.0.0.0/8'; got {entry!r}.",
                )
            text = entry.strip().lower()
            try:
                networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if any(char in text for char in "/: ,;"):
                raise InvalidOptionError(
                    ALLOW_OPTION,
                    f"{ALLOW_OPTION} entry {entry!r} is neither a host name nor a network "
                    "(write 'media.intranet', '10.1.2.3' or '10.0.0.0/8', without scheme or "
                    "port; one entry per host: ['a.intranet', 'b.intranet']).",
                )
            hosts.add(text.rstrip("."))
        return cls(
            enabled=bool(enabled),
            allowed_hosts=frozenset(hosts),
            allowed_networks=tuple(networks),
        )

    @property
    def pool_key(self) -> PoolKey:
        """Key of this policy's pooled clients: policies with equal settings share them, and
        only those (a pooled client's backend enforces the policy it was built with)."""
        return (
            "media",
            *sorted(f"host {host}" for host in self.allowed_hosts),
            *sorted(f"network {network}" for network in self.allowed_networks),
        )

    def check_address(self, host: str, address: str) -> str | None:
        """The rule refusing a connection to `address` for `host`, or None if it is allowed.

        A host allowed by name may resolve to any address but a loopback, link-local or
        unspecified one: its DNS answers are not the operator's to vouch for (a partner's or a
        compromised zone can point it at `169.254.169.254`), so those need a listed network.
        """
        rule = forbidden_rule(address)
        if rule is None:
            return None
        if self.allows_name(host) and rule not in _NEVER_BY_NAME:
            return None
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip.version == net.version and ip in net for net in self.allowed_networks):
            return None
        return rule

    def allows_name(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allowed_hosts

    def checked_addresses(self, host: str, port: int, addresses: Sequence[str]) -> list[str]:
        """`addresses` if every one is allowed, else `_RefusedAddressError` for the first."""
        if not addresses:
            raise httpcore.ConnectError(f"{host} did not resolve to any address")
        for address in addresses:
            rule = self.check_address(host, address)
            if rule is not None:
                raise _RefusedAddressError(host, address, rule)
        return list(addresses)


DEFAULT_MEDIA_POLICY = MediaURLPolicy()
"""Downloads on, nothing non-public allowed."""


class _RefusedAddressError(Exception):
    """Internal: raised by a guarded backend instead of connecting (becomes a refusal)."""

    def __init__(self, host: str, address: str, rule: str) -> None:
        super().__init__(host, address, rule)
        self.host, self.address, self.rule = host, address, rule


# -- guarded network backends ------------------------------------------------------------------


# The deadline of the download running in this thread or task (monotonic seconds). Pooled
# connections outlive one download, so their streams read it at each operation.
_UNTIL: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "langchain_tokenhot_download_until", default=None
)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` cut to what is left of the download's deadline: httpx's timeouts bound each
    read, so without this a server sending a byte every few seconds (headers included) would
    hold a download for ever."""
    until = _UNTIL.get()
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise error("the media download's deadline passed")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncBoundedStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        inner = await self._inner.start_tls(ssl_context, server_hostname, bounded)
        return _AsyncBoundedStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address, and connects to a checked address (never by name)."""

    def __init__(self, policy: MediaURLPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from None
        *others, last = self._policy.checked_addresses(host, port, addresses)
        for address in others:
            # Like socket.create_connection: the next address if one does not answer.
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return _BoundedStream(
                    self._inner.connect_tcp(
                        address,
                        port,
                        _bounded(timeout, httpcore.ConnectTimeout),
                        local_address,
                        socket_options,
                    )
                )
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(
            self._inner.connect_tcp(last, port, bounded, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("media downloads never use unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """The async twin of `_GuardedBackend` (resolution runs in a worker thread)."""

    def __init__(self, policy: MediaURLPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await anyio.to_thread.run_sync(resolve, host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from None
        *others, last = self._policy.checked_addresses(host, port, addresses)
        for address in others:
            # Like socket.create_connection: the next address if one does not answer.
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return _AsyncBoundedStream(
                    await self._inner.connect_tcp(
                        address,
                        port,
                        _bounded(timeout, httpcore.ConnectTimeout),
                        local_address,
                        socket_options,
                    )
                )
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _AsyncBoundedStream(
            await self._inner.connect_tcp(last, port, bounded, local_address, socket_options)
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("media downloads never use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


# Media is sent to the model as it is stored, so a compressed transfer saves nothing, and
# bounding a decompressor's output per codec is code we need not have: see `_check_encoding`.
_DOWNLOAD_HEADERS = {"Accept-Encoding": "identity"}

_POOL_LIMITS = {"max_connections": 100, "max_keepalive_connections": 10, "keepalive_expiry": 5.0}


class _GuardedHTTPTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose connections go through the guard.

    httpx has no public hook for the network backend, so the pool it builds is replaced by an
    equivalent one that has ours (same request mapping and exception translation as httpx).
    """

    def __init__(self, policy: MediaURLPolicy) -> None:
        super().__init__(verify=shared_ssl_context(), trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=shared_ssl_context(),
            network_backend=_GuardedBackend(policy),
            **_POOL_LIMITS,  # type: ignore[arg-type]
        )


class _AsyncGuardedHTTPTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: MediaURLPolicy) -> None:
        super().__init__(verify=shared_ssl_context(), trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=shared_ssl_context(),
            network_backend=_AsyncGuardedBackend(policy),
            **_POOL_LIMITS,  # type: ignore[arg-type]
        )


def guarded_client(policy: MediaURLPolicy) -> httpx.Client:
    """The process's pooled download client for `policy`."""
    return process_client(
        policy.pool_key,
        lambda: httpx.Client(
            transport=_GuardedHTTPTransport(policy),
            follow_redirects=False,
            trust_env=False,
            headers=_DOWNLOAD_HEADERS,
            cookies=no_cookie_jar(),
        ),
    )


def guarded_async_client(policy: MediaURLPolicy) -> httpx.AsyncClient:
    """The running event loop's pooled download client for `policy`."""
    return loop_client(
        policy.pool_key,
        lambda: httpx.AsyncClient(
            transport=_AsyncGuardedHTTPTransport(policy),
            follow_redirects=False,
            trust_env=False,
            headers=_DOWNLOAD_HEADERS,
            cookies=no_cookie_jar(),
        ),
    )


# -- what one call may download -------------------------------------------------------------------


# Bytes the current call downloaded before the download running now, set by
# `MediaBudget.fetching` around it and read by `_check_size`: a context variable because the
# downloads run below the transport (async, in a task of their own, which copies the context it
# was made in).
_SPENT_BEFORE: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "langchain_tokenhot_download_spent_before", default=None
)


class MediaBudget:
    """What one call may download: at most `MAX_DOWNLOADS_PER_CALL` URLs, `MAX_DOWNLOAD_BYTES`
    in all. Each limit is checked before the download it would stop is sent::

        budget = MediaBudget(urls)             # too many URLs: MediaDownloadError, nothing sent
        for url in urls:
            with budget.fetching(url):         # nothing left: MediaDownloadError, nothing sent
                got = download(url, ...)       # reading past what is left stops the download
            budget.spend(got)
    """

    __slots__ = ("spent",)

    def __init__(self, urls: Sequence[str]) -> None:
        if len(urls) > MAX_DOWNLOADS_PER_CALL:
            _raise(_too_many_urls(urls))
        self.spent = 0

    @contextlib.contextmanager
    def fetching(self, url: str) -> Iterator[None]:
        if self.spent >= MAX_DOWNLOAD_BYTES:
            _raise(_over_call_total(url, self.spent))
        token = _SPENT_BEFORE.set(self.spent)
        try:
            yield
        finally:
            _SPENT_BEFORE.reset(token)

    def spend(self, downloaded: Downloaded) -> None:
        self.spent += len(downloaded.data)


def _too_many_urls(urls: Sequence[str]) -> MediaDownloadError:
    first_over = urls[MAX_DOWNLOADS_PER_CALL]
    return MediaDownloadError(
        f"this call has {len(urls)} media URLs to download; at most {MAX_DOWNLOADS_PER_CALL} "
        f"are downloaded per call (the first over the limit is {safe_url(first_over)}). "
        "Upload the media with the Gemini Files API and pass file URIs, or split the call",
        url=safe_url(first_over),
        host=_host(first_over),
        limit="media URLs per call",
    )


def _over_call_total(url: str, spent: int) -> MediaDownloadError:
    return MediaDownloadError(
        f"media at {safe_url(url)} would take this call's downloads past "
        f"{MAX_DOWNLOAD_BYTES // (1024 * 1024)} MB in all ({spent / (1024 * 1024):.1f} MB "
        "downloaded before it); Gemini's inline limit is for the whole request. Upload the media "
        "with the Gemini Files API and pass file URIs instead",
        url=safe_url(url),
        host=_host(url),
        limit="bytes per call",
    )


# -- downloads -----------------------------------------------------------------------------------


def download(
    url: str, policy: MediaURLPolicy, *, timeout: httpx.Timeout, deadline: float | None
) -> Downloaded:
    """Fetch `url` under `policy` (one attempt; redirects followed by hand, each checked).

    Raises:
        MediaURLRefusedError: the URL or a redirect hop is not allowed; nothing was sent to it.
        MediaDownloadError: the media host failed, answered non-2xx, or sent too much.
    """
    target = _first_hop(url, policy)
    client = guarded_client(policy)
    until = time.monotonic() + deadline if deadline is not None else None
    token = _UNTIL.set(until)
    try:
        return _download_hops(url, target, policy, client, timeout, until, deadline)
    finally:
        _UNTIL.reset(token)


def _download_hops(
    url: str,
    target: httpx.URL,
    policy: MediaURLPolicy,
    client: httpx.Client,
    timeout: httpx.Timeout,
    until: float | None,
    deadline: float | None,
) -> Downloaded:
    for _hop in range(policy.max_redirects + 1):
        _check_deadline(url, until, deadline)
        failure: MediaDownloadError
        try:
            with client.stream("GET", target, timeout=timeout) as response:
                redirect = _redirect_or_check(url, target, response)
                if redirect is not None:
                    target = redirect
                    continue
                data = bytearray()
                for chunk in response.iter_raw():
                    data += chunk
                    _check_size(url, len(data))
                    _check_deadline(url, until, deadline)
                return Downloaded(bytes(data), response.headers.get("content-type"))
        except _RefusedAddressError as refused:
            failure = _refusal_for_address(url, target, refused, policy)
        except httpx.HTTPError as exc:
            failure = _past_deadline(url, until, deadline) or _transport_error(url, target, exc)
        # Raised here, after the handler: raised inside it, the error's __context__ would be
        # the httpx exception, whose request holds the full URL, query secrets included.
        raise failure
    raise _too_many_redirects(url, policy)


async def adownload(
    url: str, policy: MediaURLPolicy, *, timeout: httpx.Timeout, deadline: float | None
) -> Downloaded:
    """`download` for async callers.

    The download runs in a task of its own and a caller's cancellation is not passed into it:
    httpcore leaks a pool connection when cancelled while it sets one up, and the task ends on
    its own within the deadline (every read is bounded by it).
    """
    target = _first_hop(url, policy)  # refusals before any task is made
    task = asyncio.get_running_loop().create_task(
        _adownload(url, target, policy, timeout=timeout, deadline=deadline)
    )
    _RUNNING.add(task)
    task.add_done_callback(_forget)
    return await asyncio.shield(task)


_RUNNING: set[asyncio.Task[Downloaded]] = set()


def _forget(task: asyncio.Task[Downloaded]) -> None:
    _RUNNING.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: nobody awaits a download whose caller was cancelled


async def _adownload(
    url: str,
    target: httpx.URL,
    policy: MediaURLPolicy,
    *,
    timeout: httpx.Timeout,
    deadline: float | None,
) -> Downloaded:
    client = guarded_async_client(policy)
    until = time.monotonic() + deadline if deadline is not None else None
    _UNTIL.set(until)  # this task's own context
    for _hop in range(policy.max_redirects + 1):
        _check_deadline(url, until, deadline)
        failure: MediaDownloadError
        try:
            async with client.stream("GET", target, timeout=timeout) as response:
                redirect = _redirect_or_check(url, target, response)
                if redirect is not None:
                    target = redirect
                    continue
                data = bytearray()
                async for chunk in response.aiter_raw():
                    data += chunk
                    _check_size(url, len(data))
                    _check_deadline(url, until, deadline)
                return Downloaded(bytes(data), response.headers.get("content-type"))
        except _RefusedAddressError as refused:
            failure = _refusal_for_address(url, target, refused, policy)
        except httpx.HTTPError as exc:
            failure = _past_deadline(url, until, deadline) or _transport_error(url, target, exc)
        # Raised here, after the handler: raised inside it, the error's __context__ would be
        # the httpx exception, whose request holds the full URL, query secrets included.
        raise failure
    raise _too_many_redirects(url, policy)


# -- checks and errors -----------------------------------------------------------------------------


def safe_url(url: str | httpx.URL, limit: int = 160) -> str:
    """`url` fit for an error message: no user:password, query values masked, bounded length."""
    try:
        parts = urlsplit(str(url))
        netloc = parts.netloc.rsplit("@", 1)[-1]
        query = "&".join(
            f"{quote(key, safe='')}={_SECRET_QUERY_VALUE}"
            for key, _ in parse_qsl(parts.query, keep_blank_values=True)
        )
        text = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        text = "<unparsable URL>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _host(url: str | httpx.URL) -> str:
    try:
        return urlsplit(str(url)).hostname or "?"
    except ValueError:
        return "?"


def _first_hop(url: str, policy: MediaURLPolicy) -> httpx.URL:
    if not policy.enabled:
        _raise(
            MediaURLRefusedError(
                f"media URL {safe_url(url)} refused: downloading media URLs is turned off "
                f"({DISABLE_OPTION}=False). Pass the media inline (base64 or a data: URL) or "
                f"as a file URI, or set {DISABLE_OPTION}=True.",
                url=safe_url(url),
                host=_host(url),
                rule="downloads disabled",
                option=DISABLE_OPTION,
            )
        )
    return _checked_target(url, url)


def _checked_target(original: str, target: str | httpx.URL) -> httpx.URL:
    try:
        parsed = httpx.URL(str(target))
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        hop = "" if str(target) == original else f" (redirected to {safe_url(target)})"
        _raise(
            MediaURLRefusedError(
                f"media URL {safe_url(original)}{hop} refused: only http:// and https:// URLs "
                "with a host are downloaded. Pass other media inline (base64) or as a file URI.",
                url=safe_url(original),
                host=_host(target),
                rule="scheme",
                option=None,
            )
        )
    return parsed


def _redirect_or_check(url: str, target: httpx.URL, response: httpx.Response) -> httpx.URL | None:
    """The next hop's URL (checked) for a redirect; else None once the answer is usable."""
    if response.status_code in _REDIRECTS and "location" in response.headers:
        return _next_hop(url, target, response)
    _check_response(url, response)
    return None


def _next_hop(url: str, current: httpx.URL, response: httpx.Response) -> httpx.URL:
    try:
        location = current.join(response.headers["location"])
    except httpx.InvalidURL:
        location = response.headers["location"]  # type: ignore[assignment]
    return _checked_target(url, location)


def _refusal_for_address(
    url: str, target: httpx.URL, refused: _RefusedAddressError, policy: MediaURLPolicy
) -> MediaURLRefusedError:
    hop = "" if str(target) == url else f" at redirect hop {safe_url(target)}"
    if policy.allows_name(refused.host):
        why = (
            f"and a host allowed by name may not reach a {refused.rule} address (its DNS "
            "could point it anywhere). If this host serves your own media, also allow the "
            f"address: {ALLOW_OPTION}=[{refused.host!r}, {refused.address.split('%', 1)[0]!r}]."
        )
    else:
        why = (
            "and downloads to non-public addresses are refused (server-side request forgery). "
            f"If this host serves your own media, allow it with {ALLOW_OPTION}="
            f"[{refused.host!r}] (or a network such as '10.0.0.0/8')."
        )
    return MediaURLRefusedError(
        f"media URL {safe_url(url)} refused{hop}: {refused.host} resolves to {refused.address}, "
        f"a {refused.rule} address, {why}",
        url=safe_url(url),
        host=refused.host,
        rule=refused.rule,
        option=ALLOW_OPTION,
    )


def _too_many_redirects(url: str, policy: MediaURLPolicy) -> MediaURLRefusedError:
    return MediaURLRefusedError(
        f"media URL {safe_url(url)} refused: more than {policy.max_redirects} redirects. "
        "Pass the final URL, or the media inline.",
        url=safe_url(url),
        host=_host(url),
        rule="redirects",
        option=None,
    )


def _check_response(url: str, response: httpx.Response) -> None:
    status = response.status_code
    if status >= 300:
        host = _host(response.request.url)
        _raise(
            MediaDownloadError(
                f"could not download media {safe_url(url)}: the media host {host} answered "
                f"HTTP {status} (the request never reached Tokenhot)",
                url=safe_url(url),
                host=host,
                media_status=status,
                transient=status in _TRANSIENT,
            )
        )
    _check_encoding(url, response)
    length = response.headers.get("content-length")
    if length and length.isdigit():
        _check_size(url, int(length))


def _check_encoding(url: str, response: httpx.Response) -> None:
    """Refuse a body compressed although we asked for identity (the body is read raw, so it
    would otherwise be inlined still compressed)."""
    encoding = response.headers.get("content-encoding", "")
    if any(part.strip().lower() not in ("", "identity") for part in encoding.split(",")):
        host = _host(response.request.url)
        _raise(
            MediaDownloadError(
                f"could not download media {safe_url(url)}: the media host {host} sent it "
                f"compressed (Content-Encoding: {encoding}) although the download asked for "
                "Accept-Encoding: identity; compressed answers are refused, not decompressed "
                "(a small compressed body can expand past the size cap). Serve it "
                "uncompressed, or upload it and pass a file URI",
                url=safe_url(url),
                host=host,
                media_status=response.status_code,
            )
        )


def _check_size(url: str, size: int) -> None:
    if size > MAX_DOWNLOAD_BYTES:
        _raise(
            MediaDownloadError(
                f"media at {safe_url(url)} is larger than {MAX_DOWNLOAD_BYTES // (1024 * 1024)} "
                "MB; upload it and pass a file URI instead",
                url=safe_url(url),
                host=_host(url),
                limit="bytes per media URL",
            )
        )
    spent = _SPENT_BEFORE.get()
    if spent is not None and spent + size > MAX_DOWNLOAD_BYTES:
        _raise(_over_call_total(url, spent))


def _check_deadline(url: str, until: float | None, seconds: float | None) -> None:
    failure = _past_deadline(url, until, seconds)
    if failure is not None:
        _raise(failure)


def _past_deadline(
    url: str, until: float | None, seconds: float | None
) -> MediaDownloadError | None:
    if until is None or time.monotonic() < until:
        return None
    return MediaDownloadError(
        f"could not download media {safe_url(url)}: no complete answer from "
        f"{_host(url)} within {seconds:g} s",
        url=safe_url(url),
        host=_host(url),
        transient=True,
    )


def _transport_error(url: str, target: httpx.URL, exc: httpx.HTTPError) -> MediaDownloadError:
    # The httpx exception is not chained: its request holds the full URL, secrets included.
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    host = _host(target)
    return MediaDownloadError(
        f"could not download media {safe_url(url)}: the connection to the media host {host} "
        f"{kind} ({type(exc).__name__})",
        url=safe_url(url),
        host=host,
        transient=isinstance(exc, httpx.TransportError),
    )


def _raise(error: Exception) -> NoReturn:
    raise error from None
