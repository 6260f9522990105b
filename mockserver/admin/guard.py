"""Who may use the admin API and the dashboard (`/_mock`): the checks before any route runs.

The admin surface can reset the simulator, load scenarios and read every credential of the
world, and a browser on the same machine can reach it. Three checks stand in front of it:

1. **Host** (DNS rebinding): a page of `evil.example` whose name is made to resolve to
   127.0.0.1 reaches this server with `Host: evil.example`. Only this server's own names
   are served: `localhost` and loopback addresses, the address it is bound to (bound to a
   wildcard address, any IP address: a browser sends an IP as Host only when it was given
   that IP, which no rebinding can do), and names given with `--allow-host`. Any port.
2. **Origin** (cross-site requests): a page elsewhere may POST to this server (a
   `text/plain` form needs no preflight). A request that changes state and carries an
   `Origin` other than the server's own (the Host it was sent to) is refused. Without
   `Origin` it is served: curl and the test clients send none, browsers always send one
   with such a request.
3. **Token**: with `--admin-token` (or `$MOCKSERVER_ADMIN_TOKEN`), every call must carry
   it, as `X-Mockserver-Admin-Token: <token>` or `Authorization: Bearer <token>`.

`GET /_mock/health` passes none of them: CI services and `mockserver wait` poll it from
anywhere, and it tells only that the server runs, its base paths, clock and device count.
The dashboard's page and static files (`/_mock/ui/`, `/_mock/ui/*.js` …) need no token:
they are the package's files and hold no state; the page asks for the token and sends it
with every call it makes. Calls through `MockServer.client()` without a socket
(`mockserver.inprocess`) pass all checks: no network reaches them, and the code making them
holds the server itself. The vendors' routes are never checked here: the real services are
reached under any name, by any client.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from mockserver.asgi import ASGIApp, Receive, Scope, Send
from mockserver.defaults import ALLOW_HOSTS_ENV as ALLOW_HOSTS_ENV
from mockserver.defaults import IN_PROCESS
from mockserver.defaults import TOKEN_ENV as TOKEN_ENV
from mockserver.defaults import TOKEN_HEADER as TOKEN_HEADER
from mockserver.tenants import send_error

#: Served to anyone: what CI polls to know the server is up.
OPEN_PATHS = frozenset({"/_mock/health"})
#: The dashboard's page and its static files: Host-checked, but served without the token.
_PAGE = re.compile(r"/_mock/ui/?|/_mock/ui/[A-Za-z0-9_-]+\.(?:html|js|css|svg)")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})
#: A Host header as RFC 9110 allows it: a name or an IP (IPv6 in brackets), then a port.
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?")
_TOKEN_KEY = TOKEN_HEADER.lower().encode("latin-1")
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


@dataclass
class AdminAccess:
    """The admin surface's settings, shared by the home simulator and every tenant.
    `bound` is the address the server listens on, set when it starts serving (None: not
    served on a socket by MockServer, so only loopback names are this server's)."""

    token: str | None = None
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    bound: str | None = None

    @classmethod
    def of(cls, token: str | None, allow_hosts: Iterable[str]) -> AdminAccess:
        names = frozenset(_name(host) for host in allow_hosts if host.strip())
        return cls(token or None, names)

    # -- the three checks ------------------------------------------------------------------
    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """Why an admin or dashboard request is refused (status, sentence), or None."""
        path: str = scope["path"]
        if path in OPEN_PATHS or scope.get(IN_PROCESS):
            return None
        headers = _headers(scope)
        host = headers.get("host")
        if not self.host_allowed(host):
            return 403, (
                f"Host {host!r} is not a name of this server: the admin API answers to "
                "localhost, loopback addresses, the address it is bound to and names given "
                "with --allow-host (MockServer(allow_hosts=...))"
                if host is not None
                else "a request without a Host header is refused by the admin API"
            )
        origin = headers.get("origin")
        scheme = scope.get("scheme", "http")
        if (
            scope["method"] not in _SAFE_METHODS
            and origin is not None
            and not _same_origin(origin, host or "", scheme)
        ):
            return 403, (
                f"cross-origin request refused: Origin {origin!r} is not this server's own "
                f"({scheme}://{host}); the admin API changes state only for its own dashboard "
                "and for clients that send no Origin"
            )
        if _PAGE.fullmatch(path):
            return None
        if self.token is not None and not self.carries_token(scope, admin=True):
            return 401, (
                f"this server needs its admin token: send it as {TOKEN_HEADER}: <token> or "
                "Authorization: Bearer <token> (the token given with --admin-token or "
                f"${TOKEN_ENV})"
            )
        return None

    def host_allowed(self, host: str | None) -> bool:
        if host is None:
            return False
        if "*" in self.allow_hosts:
            return True
        matched = _HOST.fullmatch(host)
        if matched is None:
            return False
        name = _name(matched.group(1))
        if name == "localhost" or name in self.allow_hosts:
            return True
        address = _address(name)
        if address is not None and address.is_loopback:
            return True
        bound = None if self.bound is None else _name(self.bound)
        if bound in _WILDCARDS:
            return address is not None
        return bound is not None and name == bound

    def carries_token(self, scope: Scope, *, admin: bool) -> bool:
        """Whether the request carries the admin token: in its own header, or (on an admin
        route, where `Authorization` is not a vendor's) as a bearer token."""
        if self.token is None or scope.get(IN_PROCESS):
            return True
        expected = self.token.encode("utf-8")
        for key, value in scope["headers"]:
            if key == _TOKEN_KEY and hmac.compare_digest(value.strip(), expected):
                return True
            if admin and key == b"authorization":
                scheme, _, credential = value.partition(b" ")
                if scheme.lower() == b"bearer" and hmac.compare_digest(
                    credential.strip(), expected
                ):
                    return True
        return False

    def tenant_refusal(self, scope: Scope, name: str) -> str | None:
        """Why a request may not create the tenant it names, or None: with a token set,
        creating one needs it (any route: a vendor call creates its tenant too)."""
        if self.carries_token(scope, admin=_admin_path(scope["path"])):
            return None
        return (
            f"creating tenant {name!r} needs this server's admin token: send it as "
            f"{TOKEN_HEADER}: <token> with the tenant's first request"
        )


class AdminGuard:
    """ASGI middleware: refuses with the admin error shape, or passes the request on."""

    def __init__(self, app: ASGIApp, access: AdminAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = self.access.refusal(scope)
            if refused is not None:
                status, message = refused
                await send_error(send, status, message)
                return
        await self.app(scope, receive, send)


class WithoutToken:
    """ASGI middleware in front of a simulator's app: a vendor call loses the admin token's
    header before the simulator sees it. The token is this server's, not the vendor's: it
    must not reach the journal, the dashboard or a report (it comes on vendor calls that
    create a tenant, and from `MockServer.client()`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _admin_path(scope["path"]):
            headers = scope["headers"]
            for key, _ in headers:  # a plain loop: this runs on every vendor call
                if key == _TOKEN_KEY:
                    scope = dict(scope, headers=[(k, v) for k, v in headers if k != _TOKEN_KEY])
                    break
        await self.app(scope, receive, send)


def _admin_path(path: str) -> bool:
    return path == "/_mock" or path.startswith("/_mock/")


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server to this machine (a name other than
    localhost is taken as reachable from elsewhere)."""
    name = _name(host)
    if name == "localhost":
        return True
    address = _address(name)
    return address is not None and address.is_loopback


def _headers(scope: Scope) -> dict[str, str]:
    wanted = {b"host": "host", b"origin": "origin"}
    found: dict[str, str] = {}
    for key, value in scope["headers"]:
        name = wanted.get(key)
        if name is not None and name not in found:
            found[name] = value.decode("latin-1")
    return found


def _name(host: str) -> str:
    """A host name or address as compared: lower case, no brackets, no final dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _same_origin(origin: str, host: str, scheme: str) -> bool:
    """Whether `Origin` names the server the request was sent to: the same host and port
    (the scheme may differ behind a TLS proxy; "null" and malformed origins never match)."""
    origin_scheme, separator, rest = origin.partition("://")
    if not separator or "/" in rest:
        return False
    theirs = _authority(rest, origin_scheme.lower())
    return theirs is not None and theirs == _authority(host, scheme)


def _authority(host: str, scheme: str) -> tuple[str, str | None] | None:
    """(name, port), the port None when it is the scheme's default or not given."""
    matched = _HOST.fullmatch(host.strip())
    if matched is None:
        return None
    port = matched.group(2)
    return _name(matched.group(1)), None if port == _DEFAULT_PORTS.get(scheme) else port
