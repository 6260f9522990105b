"""Who may use the admin API and the dashboard (docs/reliability.md, "Who may come in"):
the Host check against DNS rebinding, the Origin check against other sites' pages, and the
admin token; the vendors' routes are never checked; in-process calls pass."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.admin.guard import AdminAccess, is_loopback
from mockserver.admin_client import AdminClient, AdminError
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}
TOKEN = "t0ken-for-tests"
EVIL = "http://evil.example"


@pytest.fixture
def url(server: MockServer) -> Iterator[str]:
    yield server.start()
    server.stop()


@pytest.fixture
def guarded() -> Iterator[MockServer]:
    """A served simulator with an admin token."""
    served = MockServer(admin_token=TOKEN)
    served.start()
    yield served
    served.stop()


def reset(url: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/_mock/reset", headers=headers)


# -- the findings of issue 19, item 11 -----------------------------------------------------
def test_a_cross_site_text_plain_post_is_refused_with_the_admin_error_shape(url: str):
    answer = reset(url, Origin=EVIL, **{"Content-Type": "text/plain"})
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/json"
    assert "cross-origin request refused: Origin 'http://evil.example'" in answer.json()["error"]


def test_a_rebound_host_is_refused(url: str):
    answer = reset(url, Host="evil.example")
    assert answer.status_code == 403
    assert "Host 'evil.example' is not a name of this server" in answer.json()["error"]
    assert "--allow-host" in answer.json()["error"]
    for path in ("/_mock/devices", "/_mock/ui/", "/_mock/ui/stream", "/_mock/journal"):
        assert httpx.get(url + path, headers={"Host": "evil.example"}).status_code == 403, path


# -- Host ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8080",
        "LocalHost.",
        "127.0.0.1",
        "127.0.0.1:1",
        "127.9.9.9:80",
        "[::1]",
        "[::1]:8080",
    ],
)
def test_localhost_in_any_form_is_this_server(url: str, host: str):
    assert reset(url, Host=host).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8080",
        "127.0.0.1.evil.example",
        "evil@127.0.0.1",
        "localhost/x",
        "localhost.evil.example",
        "10.0.0.1",
        "[::1",
        "",
    ],
)
def test_other_names_are_not(url: str, host: str):
    assert reset(url, Host=host).status_code == 403


def test_allow_host_adds_a_name(server: MockServer):
    named = MockServer(allow_hosts=["Mockserver", "ci.example"])
    url = named.start()
    try:
        assert reset(url, Host="mockserver:8080").status_code == 200
        assert reset(url, Host="ci.example").status_code == 200
        assert reset(url, Host="evil.example").status_code == 403
    finally:
        named.stop()


def test_the_bound_address_is_this_server_and_a_wildcard_bind_takes_any_ip():
    specific = AdminAccess(bound="192.0.2.7")
    assert specific.host_allowed("192.0.2.7:8080")
    assert not specific.host_allowed("192.0.2.8:8080")
    assert not specific.host_allowed("evil.example")
    wildcard = AdminAccess(bound="0.0.0.0")
    assert wildcard.host_allowed("192.0.2.8:8080") and wildcard.host_allowed("[2001:db8::1]")
    assert not wildcard.host_allowed("evil.example:8080")  # a name is how rebinding comes
    named = AdminAccess(bound="my-laptop.lan")
    assert named.host_allowed("MY-LAPTOP.lan:8080")
    assert not AdminAccess().host_allowed("192.0.2.7")  # not served by MockServer: loopback
    assert AdminAccess.of(None, ["*"]).host_allowed("anything.example")


def test_health_answers_any_host_and_no_token(guarded: MockServer):
    """CI services poll it by their service name."""
    answer = httpx.get(f"{guarded.url}/_mock/health", headers={"Host": "mockserver:8080"})
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_the_vendor_routes_are_not_checked(url: str):
    headers = {**AUTH, "Host": "thethings.example.com", "Origin": EVIL}
    assert httpx.post(url + PUSH, headers=headers, json=ONE).status_code == 200


def test_in_process_calls_pass_every_check():
    """The in-process transport is no network listener; its caller holds the server."""
    server = MockServer(admin_token=TOKEN)
    with server.client() as client:
        assert client.post("/_mock/reset", headers={"Origin": EVIL}).status_code == 200
        assert client.get("/_mock/devices").status_code == 200


def test_another_asgi_transport_is_checked_like_a_socket():
    """Starlette's TestClient and httpx's ASGITransport fill the scope as a server would;
    their Host (`testserver`) is allowed by name."""
    import asyncio

    async def call(server: MockServer) -> int:
        transport = httpx.ASGITransport(app=server.asgi)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return (await c.post("/_mock/reset")).status_code

    assert asyncio.run(call(MockServer())) == 403
    assert asyncio.run(call(MockServer(allow_hosts=["testserver"]))) == 200


# -- Origin ----------------------------------------------------------------------------------
def test_the_servers_own_origin_may_change_state(url: str):
    assert reset(url, Origin=url).status_code == 200
    port = url.rsplit(":", 1)[1]
    assert (
        reset(url, Host=f"localhost:{port}", Origin=f"http://localhost:{port}").status_code == 200
    )


@pytest.mark.parametrize(
    "origin", ["null", "http://127.0.0.1:1", "http://localhost", EVIL, "file://", "garbage"]
)
def test_any_other_origin_may_not(url: str, origin: str):
    assert reset(url, Origin=origin).status_code == 403
    assert httpx.delete(f"{url}/_mock/journal", headers={"Origin": origin}).status_code == 403


def test_reads_are_not_origin_checked(url: str):
    """A page elsewhere cannot read the answer (no CORS headers are sent), and the Host check
    stops a rebound one."""
    answer = httpx.get(f"{url}/_mock/devices", headers={"Origin": EVIL})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


# -- the admin token ---------------------------------------------------------------------------
def test_without_the_token_the_admin_api_is_401(guarded: MockServer):
    url = guarded.url
    answer = reset(url)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "X-Mockserver-Admin-Token" in answer.json()["error"]
    assert reset(url, **{"X-Mockserver-Admin-Token": "wrong"}).status_code == 401
    assert reset(url, Authorization="Bearer wrong").status_code == 401
    assert reset(url, **{"X-Mockserver-Admin-Token": TOKEN}).status_code == 200
    assert reset(url, Authorization=f"Bearer {TOKEN}").status_code == 200
    assert httpx.get(f"{url}/_mock/openapi.json").status_code == 401
    assert httpx.get(f"{url}/_mock/no-such-route").status_code == 401  # nothing told


def test_the_host_check_comes_before_the_token(guarded: MockServer):
    answer = reset(guarded.url, Host="evil.example", **{"X-Mockserver-Admin-Token": TOKEN})
    assert answer.status_code == 403


def test_the_token_does_not_guard_the_vendor_routes(guarded: MockServer):
    assert httpx.post(guarded.url + PUSH, headers=AUTH, json=ONE).status_code == 200


def test_the_servers_own_client_sends_the_token(guarded: MockServer):
    with guarded.client() as client:
        assert client.post("/_mock/reset").status_code == 200
    with guarded.client(headers={"X-Mockserver-Admin-Token": "mine"}) as client:
        assert client.post("/_mock/reset").status_code == 401  # the caller's own wins


def test_creating_a_tenant_needs_the_token(guarded: MockServer):
    url = guarded.url
    tenant = {"X-Mockserver-Tenant": "ci-1"}
    refused = httpx.post(url + PUSH, headers={**AUTH, **tenant}, json=ONE)
    assert refused.status_code == 401
    assert "creating tenant 'ci-1' needs this server's admin token" in refused.json()["error"]
    assert guarded.tenants is not None and guarded.tenants.names() == []
    token = {"X-Mockserver-Admin-Token": TOKEN}
    created = httpx.post(url + PUSH, headers={**AUTH, **tenant, **token}, json=ONE)
    assert created.status_code == 200
    # Once it exists, its vendor routes are the vendor's (the token guards /_mock only).
    assert httpx.post(url + PUSH, headers={**AUTH, **tenant}, json=ONE).status_code == 200
    assert httpx.get(f"{url}/_mock/devices", headers=tenant).status_code == 401
    queue = httpx.get(f"{url}/_mock/devices/app1.dev1/queue", headers={**tenant, **token})
    assert len(queue.json()) == 2


def test_admin_client_passes_the_token(guarded: MockServer, monkeypatch: pytest.MonkeyPatch):
    with AdminClient(guarded.url) as anonymous, pytest.raises(AdminError) as refused:
        anonymous.reset()
    assert refused.value.status == 401
    with AdminClient(guarded.url, token=TOKEN) as admin:
        admin.reset()
        assert admin.devices()
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", TOKEN)
    with AdminClient(guarded.url, tenant="from-env") as from_env:
        assert from_env.devices()  # the tenant is created: the token came along


def test_the_report_command_passes_the_token(guarded: MockServer, tmp_path):
    from mockserver.cli import main

    out = tmp_path / "r.json"
    assert main(["report", "--url", guarded.url, "--out", str(out)]) == 1
    assert main(["report", "--url", guarded.url, "--admin-token", TOKEN, "--out", str(out)]) == 0
    assert '"summary"' in out.read_text()


# -- the banner ------------------------------------------------------------------------------
def test_a_non_loopback_bind_warns_in_the_banner():
    from mockserver.cli import banner

    server = MockServer()
    for host in ("0.0.0.0", "::", "192.0.2.7", "my-laptop.lan"):
        warning = [line for line in banner(server, host, 8080).splitlines() if "WARNING" in line]
        assert len(warning) == 1, host
        assert "admin API and dashboard" in warning[0] and "/_mock" in warning[0]
        assert "--admin-token" in warning[0] and "MOCKSERVER_ADMIN_TOKEN" in warning[0]
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert "WARNING" not in banner(server, host, 8080), host
    protected = banner(MockServer(admin_token=TOKEN), "0.0.0.0", 8080)
    assert "admin token: required" in protected and "the admin token guards /_mock" in protected
    assert TOKEN not in protected


def test_is_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("[::1]") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.0.0.1")


def test_serve_reads_its_options_and_the_environment(monkeypatch: pytest.MonkeyPatch):
    from mockserver.cli import _parser

    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "from-env")
    monkeypatch.setenv("MOCKSERVER_ALLOW_HOSTS", "mockserver,ci.example")
    args = _parser().parse_args(["serve", "--allow-host", "extra", "--tenant-idle", "60"])
    assert args.admin_token == "from-env"
    assert args.allow_host == ["mockserver", "ci.example", "extra"]
    assert (args.tenant_idle, args.max_tenants) == (60.0, 64)
    args = _parser().parse_args(["serve", "--admin-token", "given", "--max-tenants", "3"])
    assert (args.admin_token, args.max_tenants) == ("given", 3)


@pytest.mark.parametrize(
    "option",
    [
        ["--allow-host", "a b"],
        ["--max-tenants", "0"],
        ["--tenant-idle", "-1"],
        ["--admin-token", ""],
        ["--admin-token", " padded "],
    ],
)
def test_bad_values_are_one_line_and_status_2(option: list[str], capsys):
    from mockserver.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["serve", *option])
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_token_never_reaches_the_simulator_on_a_vendor_call(guarded: MockServer):
    """It is this server's, not the vendor's: not in the journal, the dashboard or a report."""
    token = {"X-Mockserver-Admin-Token": TOKEN}
    tenant = {"X-Mockserver-Tenant": "t"}
    with guarded.client() as client:  # sends it with every call
        assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200
    httpx.post(guarded.url + PUSH, headers={**AUTH, **tenant, **token}, json=ONE)
    assert guarded.tenants is not None
    found = guarded.tenants.find("t")
    assert found is not None
    for simulator in (guarded.simulator, found.host.simulator):
        (entry,) = simulator.journal.entries()
        assert entry.request.path.endswith("/down/push")
        assert TOKEN not in str(entry.to_json())
    journal = httpx.get(f"{guarded.url}/_mock/journal", headers=token)
    assert journal.status_code == 200 and TOKEN not in journal.text


def test_every_guarded_route_documents_the_guards_answers():
    """A route added to the admin API is behind the guard: its description must say 403
    (and 401, unless it is the dashboard's page or files, or the open health route)."""
    from mockserver.admin.description import admin_description

    page = {"dashboardRedirect", "dashboard", "dashboardAsset"}
    missing = []
    for path, item in admin_description()["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            wanted = set() if path == "/_mock/health" else {"403"}
            if path != "/_mock/health" and operation["operationId"] not in page:
                wanted.add("401")
            if lacking := wanted - set(operation["responses"]):
                missing.append(f"{method.upper()} {path}: {sorted(lacking)}")
    assert not missing, "\n".join(missing)
