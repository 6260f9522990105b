"""Issue 20, item 5: the dashboard fits the widths people use, in headless Chromium.

One simulator holds what a real session shows: TTS, ThingPark, KPN and TTN v2 exchanges with
long paths (and a query), a broken rule, a contract warning, a device with a 31-character id,
long hex payloads, webhook and application-server messages, and a scenario that leaves a KPN
device "silent until <time>". At each width every tab is drawn and checked:

- no cell's content is wider than the cell, unless the cell cuts it with an ellipsis and a
  title there holds the whole text;
- no header takes more than one line, and no word of up to 20 characters (a state, a time,
  an event) is split over two lines: longer tokens (ids, URLs, hex) may wrap;
- no table is wider than the box it sits in, and the page never scrolls sideways;
- the journal's list takes the view's width and its request column stays readable.

Each view is saved as reports/ui/layout-<tab>-<width>.png for a person to look at. Skips
locally without Playwright or Chromium, as tests/ui/test_browser.py does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH
from tests.ui.test_browser import SCREENSHOTS, console, live  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.mockserver_allow_violations]

#: 800 px: the panes stack (the dashboard's narrow layout); the rest side by side.
WIDTHS = [800, 1280, 1440, 1920]
LONG_DEVICE = "app1.eui-70b3d57ed0000042-greenhouse"
SMS_DEVICE = "kpn.9b2e3f4a-1c5d-4e6f-8a7b-0c1d2e3f4a5b"
TTS_DOWN = "/api/v3/as/applications/app1/webhooks/wh1/devices/{device}/down/{op}"
PAYLOAD_51 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIz"
#: Queue listings after the rest: the journal's list is taller than the window, so an
#: exchange opened under it must be brought into view.
BURST = 40
#: How long a wait for an element may take here, and Playwright's own default for `expect`.
WAIT_MS = 30_000
PLAYWRIGHT_EXPECT_MS = 5_000
#: The narrowest request column that still reads "POST /api/v3/as/appl…" (about 20 characters).
REQUEST_COLUMN_PX = 150


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """The default world with a session's worth of traffic (named `server`, so the contract
    checks of tests/conftest.py apply; module-wide, since the tests only look at it)."""
    served = MockServer()
    served.start()
    try:
        populate(served)
        yield served
    finally:
        served.stop()


def ok(response: httpx.Response, *expected: int) -> httpx.Response:
    assert response.status_code in (expected or (200,)), response.text
    return response


def populate(server: MockServer) -> None:
    url = server.url
    assert url is not None
    with httpx.Client(base_url=url, timeout=30) as http:
        tts_traffic(http)
        thingpark_traffic(http)
        kpn_traffic(server, http)
        ok(
            http.post(
                "/ttn/api/v2/down/my-app-id/my-process-id",
                params={"key": "ttn-account-v2.secret"},
                json={
                    "dev_id": "my-dev-id",
                    "port": 1,
                    "confirmed": False,
                    "payload_raw": "AQIDBA==",
                },
            ),
            202,
        )
        for device in (LONG_DEVICE, "thingpark.1001", "my-app-id.my-dev-id"):  # messages out
            uplink = {"f_port": 1, "frm_payload": PAYLOAD_51[:24], "ack": False}
            ok(http.post(f"/_mock/devices/{device}/uplinks", json=uplink), 200, 201)
        ok(http.post("/_mock/clock/advance", json={"seconds": 10}))
        ok(http.put("/_mock/scenario", json={"name": "kpn-feedback-timeout"}))
        ok(http.post("/_mock/clock/advance", json={"seconds": 0.25}))  # times with microseconds
        for _ in range(BURST):  # an application polling a queue: a journal longer than a screen
            ok(http.get("/api/v3/as/applications/app1/devices/dev1/down", headers=AUTH))
    assert server.outbound.flush(timeout=60), "the messages to applications never settled"


def tts_traffic(http: httpx.Client) -> None:
    device = {
        "provider": "tts",
        "application_id": "app1",
        "id": LONG_DEVICE.removeprefix("app1."),
        "dev_eui": "70B3D57ED0000042",
        "class": "A",
        "session": {"dev_addr": "260B0042"},
    }
    ok(http.post("/_mock/devices", json=device), 201)
    hook = {  # every message type, to a closed port: each attempt is listed as failed
        "webhook": {
            "ids": {
                "application_ids": {"application_id": "app1"},
                "webhook_id": "greenhouse-monitoring",
            },
            "base_url": "http://127.0.0.1:9/integrations/the-things-stack/greenhouse",
            "format": "json",
            "uplink_message": {"path": "/uplink-message"},
            "downlink_queued": {"path": "/downlink-queued"},
            "downlink_sent": {"path": "/downlink-sent"},
        },
        "field_mask": {
            "paths": ["base_url", "format", "uplink_message", "downlink_queued", "downlink_sent"]
        },
    }
    ok(http.post("/api/v3/as/webhooks/app1", headers=AUTH, json=hook))
    push = TTS_DOWN.format(device=LONG_DEVICE.removeprefix("app1."), op="push")
    downlinks = [
        {"f_port": 2, "frm_payload": PAYLOAD_51, "priority": "HIGHEST"},
        {"f_port": 3, "frm_payload": PAYLOAD_51[:40], "confirmed": True},
    ]
    ok(http.post(push, headers=AUTH, json={"downlinks": downlinks}))
    typo = {"downlinks": [{"f_port": 2, "frm_payload": "AQ==", "confirmd": True}]}
    ok(http.post(TTS_DOWN.format(device="dev1", op="push"), headers=AUTH, json=typo))
    broken = {"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]}
    ok(http.post(TTS_DOWN.format(device="dev1", op="replace"), headers=AUTH, json=broken), 400)
    no_session = {"downlinks": [{"f_port": 2, "frm_payload": "AQ=="}]}
    ok(http.post(TTS_DOWN.format(device="dev3", op="push"), headers=AUTH, json=no_session), 400)


def thingpark_traffic(http: httpx.Client) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "tpe-api/demo@example.com",
        "client_secret": "demo-secret",
    }
    token = ok(http.post("/admin/latest/api/oauth/token", data=form)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    messages = "/core/latest/api/devices/0018B20000000001/downlinkMessages"
    body = {"payloadHex": "0102030405060708", "targetPorts": "1"}
    ok(http.post(messages, params={"confirmDownlink": "false"}, headers=bearer, json=body))
    ok(http.get(messages, headers=bearer))


def kpn_traffic(server: MockServer, http: httpx.Client) -> None:
    exchange = {
        "grant_type": "client_credentials",
        "audience": "4dc82561-f65f-523g-dek9-6c79ec314f02",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
    }
    ok(http.post("/api/v3/idp/oidc/token", json=exchange))
    bearer = {"Authorization": f"Bearer {server.providers['kpn'].ready_token('demo-client')}"}
    lora = {
        "deviceId": "urn:dev:deveui:0004a30b001a2b3c",
        "message": {"payloadHex": "0102", "fPort": 1},
        "feedbackTimeout": "PT10M",
        "retryLimit": 1,
    }
    ok(http.post("/lora/downlinks", headers=bearer, json=lora), 201)
    mqtt = {
        "deviceId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "message": {"type": "text", "payload": "reboot", "topic": "downlink"},
        "feedbackTimeout": "PT10M",
    }
    ok(http.post("/mqtt/downlinks", headers=bearer, json=mqtt), 201)
    sms = {
        "deviceId": "imei:356938035643817",
        "message": {"text": "STATUS"},
        "feedbackTimeout": "PT10M",
    }
    ok(http.post("/sms/downlinks", headers=bearer, json=sms), 201)
    query = {"status": "PENDING", "sort": "-createdAt"}
    ok(http.get("/lora/downlinks", params=query, headers=bearer))


# -- what is checked on a drawn view ---------------------------------------------------------
#: The problems of the tables and timelines under a selector, each as one line saying where.
LAYOUT_PROBLEMS = (Path(__file__).with_name("layout_problems.js")).read_text(encoding="utf-8")


def problems_of(page: Any, scope: str) -> list[str]:
    found: list[str] = page.evaluate(LAYOUT_PROBLEMS, scope)
    return found


def shoot(page: Any, tab: str, width: int, element: str | None = None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"layout-{tab}-{width}.png"
    if element is None:
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header where it belongs
        page.screenshot(path=path, full_page=True)
    else:
        page.locator(element).screenshot(path=path)


@pytest.fixture(params=WIDTHS, ids=[f"{width}px" for width in WIDTHS])
def width(request: pytest.FixtureRequest) -> int:
    width: int = request.param
    return width


@pytest.fixture
def page(browser: Any, server: MockServer, console: list[str], width: int) -> Iterator[Any]:  # noqa: F811
    from playwright.sync_api import expect

    # Generous waits for a loaded machine: every wait is for an element, never for time.
    expect.set_options(timeout=WAIT_MS)
    context = browser.new_context(viewport={"width": width, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    opened.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda error: console.append(str(error)))
    try:
        opened.goto(f"{server.url}/_mock/ui")
        live(opened)
        yield opened
    finally:
        context.close()
        expect.set_options(timeout=PLAYWRIGHT_EXPECT_MS)


def tab(page: Any, view: str) -> None:
    page.click(f"button[data-view={view}]")


def test_every_tab_fits_at_this_width(page, server, width, console) -> None:  # noqa: F811
    from playwright.sync_api import expect

    found: dict[str, list[str]] = {}

    devices = list(server.network)
    expect(page.locator("#devices tr[data-device]")).to_have_count(len(devices))
    expect(page.locator("tr[data-device^='kpn.f24108fa']")).to_contain_text("silent until")
    shoot(page, "devices", width, "#devices-pane")
    found["devices"] = problems_of(page, "#devices-pane")

    page.click(f"tr[data-device='{LONG_DEVICE}']")
    expect(page.locator("#device-title")).to_have_text(LONG_DEVICE)
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    expect(page.locator("#events tbody tr[data-kind=sent]")).to_have_count(1)
    expect(page.locator("#timeline [data-kind=sent]")).to_have_count(1)
    shoot(page, "device", width)
    shoot(page, "timeline", width, "#timeline")
    found["device"] = problems_of(page, "#view-device")

    page.click(f"tr[data-device='{SMS_DEVICE}']")  # a KPN device without LoRa radio
    expect(page.locator("#device-title")).to_have_text(SMS_DEVICE)
    events = httpx.get(f"{server.url}/_mock/devices/{SMS_DEVICE}/events").json()
    expect(page.locator("#events tbody tr[data-kind]")).to_have_count(min(len(events), 100))
    shoot(page, "device-kpn-sms", width)
    found["device-kpn-sms"] = problems_of(page, "#view-device")

    tab(page, "journal")
    entries = len(server.journal.entries())
    expect(page.locator("#journal tbody tr[data-sequence]")).to_have_count(entries)
    shoot(page, "journal", width)
    found["journal"] = problems_of(page, "#view-journal") + journal_widths(page)

    heading = page.locator("#exchange h3").first
    page.locator("#journal tbody tr").first.click()  # the newest: under the list, it is far
    expect(heading).to_contain_text("GET /api/v3/as/applications/app1/devices/dev1/down")
    expect(heading).to_be_in_viewport(ratio=1)  # beside the list, or brought up under it
    thingpark = page.locator("#journal tbody tr", has_text="POST /core/latest/api/devices").first
    thingpark.click()
    expect(heading).to_contain_text("confirmDownlink=false")
    shoot(page, "journal-exchange", width)
    found["journal-exchange"] = problems_of(page, "#view-journal") + exchange_widths(page)

    tab(page, "outbound")
    attempts = len(server.outbound.attempts())
    expect(page.locator("#outbound tbody tr")).to_have_count(attempts)
    page.locator("#outbound tbody details").first.click()  # a body opened in its cell
    expect(page.locator("#outbound tbody details[open] pre")).to_be_visible()
    shoot(page, "outbound", width)
    found["outbound"] = problems_of(page, "#view-outbound")

    tab(page, "scenario")
    expect(page.locator("#scenario h2")).to_have_text("kpn-feedback-timeout")
    shoot(page, "scenario", width)
    found["scenario"] = problems_of(page, "#view-scenario")

    tab(page, "coverage")
    expect(page.locator("#coverage tbody tr").first).to_be_visible()
    shoot(page, "coverage", width)
    found["coverage"] = problems_of(page, "#view-coverage")

    report = [f"{view}: {problem}" for view, problems in found.items() for problem in problems]
    assert not report, f"at {width} px:\n" + "\n".join(report)
    assert console == []


def journal_widths(page: Any) -> list[str]:
    """The list takes the whole view (it stayed half-width) and shows ~20 characters of a
    request (it showed "P…")."""
    split, table, request = page.evaluate(
        """() => [document.querySelector('#view-journal .split').clientWidth,
                  document.getElementById('journal').offsetWidth,
                  document.querySelector('#journal thead th:nth-child(4)').offsetWidth]"""
    )
    problems = []
    if table < 0.95 * split:
        problems.append(f"the list is {table} px wide in a view of {split}")
    if request < REQUEST_COLUMN_PX:
        problems.append(f"the request column is {request} px wide")
    return problems


def exchange_widths(page: Any) -> list[str]:
    """Beside the list or under it, the opened exchange leaves the request column readable
    and stays inside the view."""
    request, view, detail = page.evaluate(
        """() => [document.querySelector('#journal thead th:nth-child(4)').offsetWidth,
                  document.getElementById('view-journal').getBoundingClientRect().right,
                  document.getElementById('exchange').getBoundingClientRect().right]"""
    )
    problems = []
    if request < REQUEST_COLUMN_PX:
        problems.append(f"the request column is {request} px wide beside the exchange")
    if detail > view + 1:
        problems.append(f"the exchange ends at {detail} px, past the view ({view})")
    return problems
