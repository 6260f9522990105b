"""No credential of the default world shows whole in any view of the exchanges (issue 19,
item 12): the admin journal, the reports, the request log (text and JSON lines), the
dashboard's data and the outbound log, after each vendor's documented authenticated calls.

The secrets are read from the default world file (API keys, client secrets, the ThingPark
AS key, the TTN v2 access key, the webhook's downlink key), from README (the ready tokens)
and from the responses of the token exchanges the run makes (the tokens the server issues).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockserver import request_log
from mockserver.server import MockServer
from mockserver.ui.stream import Watcher
from tests.readme_curls import run_curl

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
WORLD = ROOT / "mockserver" / "worlds" / "default.yaml"
#: The world file's fields that hold a credential.
SECRET_FIELDS = {"key", "client_secret", "downlink_api_key", "access_key"}

TTS_PUSH = "/api/v3/as/applications/{app}/webhooks/{hook}/devices/{device}/down/push"
ONE_DOWNLINK = {"downlinks": [{"frm_payload": "vu8=", "f_port": 15, "priority": "NORMAL"}]}
TP_DEVICE = "/core/latest/api/devices/0018B20000000001/downlinkMessages"
TP_CLIENT = ("tpe-api/demo@example.com", "demo-secret")
TP_TOKEN_PATHS = ("/admin/latest/api/oauth/token", "/users-auth/protocol/openid-connect/token")
Logs = tuple[io.StringIO, io.StringIO]


def world_secrets() -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name in SECRET_FIELDS and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(WORLD.read_text(encoding="utf-8")))
    return found


def readme_tokens() -> set[str]:
    return set(re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", README))


def readme_curls() -> list[str]:
    """README's curls at the simulated APIs (not the admin API's)."""
    blocks = [b.replace("\\\n", " ") for b in re.findall(r"```bash\n(.*?)```", README, re.S)]
    inline = re.findall(r"`(curl '[^`]+)`", README)
    return [c for c in blocks + inline if c.startswith("curl") and "/_mock" not in c]


@pytest.fixture
def logs() -> Iterator[Logs]:
    text, lines = io.StringIO(), io.StringIO()
    handlers = [
        request_log.install("text", "debug", text, colour=False),
        request_log.install("json", "debug", lines),
    ]
    yield text, lines
    for handler in handlers:
        request_log.uninstall(handler)


@pytest.fixture
def server() -> Iterator[MockServer]:
    served = MockServer()
    served.start()
    yield served
    served.stop()


def exercise(server: MockServer, http: httpx.Client) -> set[str]:
    """Each vendor's authenticated calls, documented and a few more; the tokens issued."""
    issued: set[str] = set()
    if shutil.which("curl"):
        for example in readme_curls():
            result, body, status = run_curl(example, str(http.base_url).rstrip("/"))
            assert result.returncode == 0 and status.startswith("2"), (example, body)
            if "access_token" in body:
                issued.add(json.loads(body)["access_token"])
    keys = [k for k in world_secrets() if k.startswith("NNSXS.")]
    for key in keys:  # every TTS key, on both applications: 200s and 403s
        for app, hook, device in (("app1", "wh1", "dev1"), ("app2", "wh2", "dev1")):
            http.post(
                TTS_PUSH.format(app=app, hook=hook, device=device),
                json=ONE_DOWNLINK,
                headers={"Authorization": f"Bearer {key}"},
            )
    hook = http.get(
        "/api/v3/as/webhooks/app1/wh1",
        params={"field_mask": "downlink_api_key,base_url"},
        headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"},
    )
    assert hook.json()["downlink_api_key"] == "NNSXS.XXXXXXXXX"
    enabled = http.put(  # uplinks go out with the webhook's X-Downlink-Apikey
        "/api/v3/as/webhooks/app1/wh1",
        headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"},
        json={
            "webhook": {
                "ids": {"application_ids": {"application_id": "app1"}, "webhook_id": "wh1"},
                "uplink_message": {"path": "/up"},
            },
            "field_mask": {"paths": ["uplink_message"]},
        },
    )
    assert enabled.status_code == 200, enabled.text
    ttn = http.post(
        "/ttn/api/v2/down/my-app-id/my-process-id?key=ttn-account-v2.secret",
        json={"dev_id": "my-dev-id", "port": 1, "confirmed": False, "payload_raw": "AQIDBA=="},
    )
    assert ttn.status_code == 202
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x01")
    server.uplink("app1.dev1", f_port=1, frm_payload=b"\x01")
    for token_path in (
        "/admin/latest/api/oauth/token",
        "/users-auth/protocol/openid-connect/token",
    ):
        form = http.post(
            token_path,
            data={
                "grant_type": "client_credentials",
                "client_id": TP_CLIENT[0],
                "client_secret": TP_CLIENT[1],
            },
        )
        basic = http.post(token_path, auth=TP_CLIENT, data={"grant_type": "client_credentials"})
        issued |= {form.json()["access_token"], basic.json()["access_token"]}
    for token in sorted(issued):
        if token.startswith("eyJhbGciOiJIUzI1NiI"):  # ThingPark's
            queued = http.post(
                TP_DEVICE,
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "payloadHex": "0102",
                    "targetPorts": "1",
                    "securityParams": {
                        "asId": "TWA_100000000.1.AS",
                        "asKey": "00112233445566778899aabbccddeeff",
                    },
                },
            )
            assert queued.status_code == 200, queued.text
    kpn = http.post(
        "/api/v3/idp/oidc/token",
        json={
            "grant_type": "client_credentials",
            "audience": "4dc82561-f65f-523g-dek9-6c79ec314f02",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        },
    )
    fresh = kpn.json()["access_token"]
    issued.add(fresh)
    created = http.post(
        "/lora/downlinks",
        headers={"Authorization": f"Bearer {fresh}"},
        json={
            "deviceId": "urn:dev:deveui:0004a30b001a2b3c",
            "message": {"payloadHex": "0102", "fPort": 1},
            "feedbackTimeout": "PT10M",
        },
    )
    assert created.status_code in (200, 201), created.text
    http.get("/lora/downlinks", headers={"Authorization": f"Bearer {fresh}"})
    server.simulator.outbox.settle()
    return issued


def views(
    server: MockServer, http: httpx.Client, logs: tuple[io.StringIO, io.StringIO]
) -> dict[str, str]:
    """Every place an exchange can be read, as text."""
    journal = http.get("/_mock/journal")
    shown = {
        "journal": journal.text,
        "violations": http.get("/_mock/contract/violations").text,
        "outbound": http.get("/_mock/outbound").text,
        "request log (text)": logs[0].getvalue(),
        "request log (JSON)": logs[1].getvalue(),
    }
    for kind in ("json", "junit", "markdown"):
        shown[f"report ({kind})"] = http.get("/_mock/report", params={"format": kind}).text
    watcher = Watcher(server.tenants, server.host, None)
    try:
        shown["dashboard stream"] = json.dumps(watcher.snapshot(), ensure_ascii=False)
    finally:
        watcher.close()
    shown["dashboard devices"] = "\n".join(
        http.get(f"/_mock/devices/{device['id']}{part}").text
        for device in http.get("/_mock/devices").json()
        for part in ("", "/events")
    )
    shown["dashboard health, coverage"] = (
        http.get("/_mock/health").text + http.get("/_mock/contract/coverage").text
    )
    shown["dashboard exchanges"] = "\n".join(
        http.get(f"/_mock/ui/journal/{entry['sequence']}").text for entry in journal.json()
    )
    return shown


def test_no_secret_of_the_default_world_shows_whole_in_any_view(server, logs):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        issued = exercise(server, http)
        shown = views(server, http, logs)
    secrets = world_secrets() | readme_tokens() | issued
    assert len(issued) >= 3 and len(secrets) >= 12  # the run did send them all
    leaks = [
        f"{where}: {secret[:12]}…"
        for where, text in shown.items()
        for secret in sorted(secrets)
        if secret in text
    ]
    assert not leaks, "secrets shown whole:\n" + "\n".join(leaks)
    # ... and each view still says which credential was used: the scheme and the last 4.
    journal = shown["journal"]
    assert "Bearer …XXXX" in journal and "key=…cret" in journal
    assert '"client_secret":"…cret"' in journal.replace(" ", "") or "client_secret=…cret" in journal
    assert "key=…cret" in shown["request log (text)"] and "key=…cret" in shown["request log (JSON)"]
    assert "…XXXX" in shown["outbound"]  # the webhooks' X-Downlink-Apikey


def test_the_live_request_is_not_redacted(server):
    """Providers authenticate with what was sent: a masked key would be refused."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        pushed = http.post(
            TTS_PUSH.format(app="app1", hook="wh1", device="dev1"),
            json=ONE_DOWNLINK,
            headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"},
        )
        masked = http.post(
            TTS_PUSH.format(app="app1", hook="wh1", device="dev1"),
            json=ONE_DOWNLINK,
            headers={"Authorization": "Bearer …XXXX".encode()},
        )
    assert pushed.status_code == 200
    assert masked.status_code in (400, 401)  # TTS refuses a key not of its form
