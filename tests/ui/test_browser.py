"""The dashboard in a real browser: headless Chromium driven by Playwright.

Locally these tests skip, with one line saying why, when Playwright or Chromium is missing;
in CI (`CI` set) that is a failure, since `.ci/run` installs Debian's `chromium` first.
Each test saves a screenshot of the view it checked under reports/ui/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "ui"
pytestmark = pytest.mark.slow


@pytest.fixture
def console() -> list[str]:
    """Console errors and uncaught exceptions of the page under test."""
    return []


@pytest.fixture
def page(browser: Any, server: MockServer, console: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    opened.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda error: console.append(str(error)))
    opened.goto(f"{server.url}/_mock/ui")
    live(opened)
    yield opened
    context.close()


def live(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#live")).to_have_text("live")
    expect(page.locator("tr[data-device='app1.dev1']")).to_be_visible()


def screenshot(page: Any, view: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{view}.png", full_page=True)


def push(server: MockServer, payload: str, f_port: int = 2, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}{PUSH}",
        headers={**AUTH, **headers},
        json={"downlinks": [{"f_port": f_port, "frm_payload": payload}]},
    )


def test_the_page_loads_on_the_default_world_without_console_errors(page, console, server):
    from playwright.sync_api import expect

    for device in server.network:
        expect(page.locator(f"tr[data-device='{device.id}']")).to_be_visible()
    expect(page.locator("#clock")).to_contain_text("2026-01-01 00:00:00 (virtual)")
    screenshot(page, "devices")
    assert console == []
    assert [entry.path for entry in server.journal.entries()] == []  # no favicon in the log


def test_a_push_through_the_api_shows_in_the_device_queue_within_a_second(page, server):
    from playwright.sync_api import expect

    page.click("tr[data-device='app1.dev1']")
    expect(page.locator("#queue-count")).to_have_text("(0)")
    assert push(server, "3q2+7w==").status_code == 200
    expect(page.locator("#queue tbody")).to_contain_text("DEADBEEF", timeout=1000)
    expect(page.locator("tr[data-device='app1.dev1'] td[data-col=queued]")).to_have_text("1")


def test_advancing_the_clock_after_an_uplink_draws_the_transmission(page, server, console):
    from playwright.sync_api import expect

    page.click("tr[data-device='app1.dev1']")
    assert push(server, "AQIDBAU=").status_code == 200
    page.fill("#uplink-payload", "00")
    page.click("#uplink-send")  # the admin API's uplink, as the page sends it
    expect(page.locator("#timeline [data-kind=uplink]")).to_have_count(1)
    expect(page.locator("#timeline [data-kind=rx1]")).to_have_count(1)
    page.fill("#advance-seconds", "6")
    page.click("#advance")
    sent = page.locator("#timeline [data-kind=sent]")
    expect(sent).to_have_count(1)
    expect(sent.locator("title")).to_contain_text("sent in RX1")
    expect(sent.locator("title")).to_contain_text("51.456 ms on air")
    expect(page.locator("#clock")).to_contain_text("00:00:06")
    expect(page.locator("#queue-count")).to_have_text("(0)")
    screenshot(page, "device-timeline")
    assert console == []


def test_a_request_that_breaks_a_rule_shows_the_rule_and_the_nearest_valid_body(page, server):
    from playwright.sync_api import expect

    assert push(server, "AQ==", f_port=300).status_code == 400
    page.click("button[data-view=journal]")
    row = page.locator("#journal tbody tr").first
    expect(row.locator(".rule")).to_have_text("maximum")
    expect(row).to_contain_text("body.downlinks[0].f_port")
    row.click()
    expect(page.locator("#exchange")).to_contain_text("must be smaller than or equal to 255")
    expect(page.locator("#exchange [data-role=nearest]")).to_contain_text('"f_port": 255')
    screenshot(page, "journal")


def test_a_bundled_scenario_is_loaded_and_cleared_from_the_page(page, server):
    from playwright.sync_api import expect

    page.select_option("#scenario-choice", "confirmed-nacked")
    page.click("#scenario-load")
    page.click("button[data-view=scenario]")
    expect(page.locator("#scenario h2")).to_have_text("confirmed-nacked")
    assert server.scenario is not None and server.scenario.scenario.name == "confirmed-nacked"
    screenshot(page, "scenario")
    page.click("#scenario-clear")
    expect(page.locator("#scenario")).to_contain_text("No scenario in force")
    assert server.scenario is None


def test_outbound_messages_and_coverage_are_shown(page, server):
    from playwright.sync_api import expect

    hook = {  # a webhook whose uplink messages go to a closed port: the attempt is listed
        "webhook": {
            "ids": {"application_ids": {"application_id": "app1"}, "webhook_id": "dashboard"},
            "base_url": "http://127.0.0.1:9/hooks",
            "format": "json",
            "uplink_message": {"path": "/up"},
        },
        "field_mask": {"paths": ["base_url", "format", "uplink_message"]},
    }
    assert httpx.post(f"{server.url}/api/v3/as/webhooks/app1", headers=AUTH, json=hook).is_success
    page.click("tr[data-device='app1.dev1']")
    page.click("#uplink-send")
    page.click("button[data-view=outbound]")
    row = page.locator("#outbound tbody tr").first
    expect(row).to_contain_text("uplink_message")
    expect(row).to_contain_text("http://127.0.0.1:9/hooks/up")
    screenshot(page, "outbound")
    page.click("button[data-view=coverage]")
    expect(page.locator("#coverage-summary")).to_contain_text("1 of")
    expect(page.locator("#coverage tbody")).to_contain_text("ApplicationWebhookRegistry_Set")
    screenshot(page, "coverage")


def test_each_tenant_is_its_own_simulator_in_the_selector(page, server):
    from playwright.sync_api import expect

    page.fill("#tenant-name", "t1")
    page.click("#tenant-form button")
    expect(page.locator("#tenant")).to_have_value("t1")
    expect(page).to_have_url(f"{server.url}/_mock/ui/?tenant=t1")
    live(page)
    page.click("tr[data-device='app1.dev1']")
    assert push(server, "qg==", **{"X-Mockserver-Tenant": "t1"}).status_code == 200
    expect(page.locator("#queue tbody")).to_contain_text("AA")
    screenshot(page, "tenant")
    page.select_option("#tenant", "")  # home: its own, untouched queue
    live(page)
    expect(page.locator("tr[data-device='app1.dev1'] td[data-col=queued]")).to_have_text("0")


def test_a_class_b_device_shows_its_ping_slots_and_sends_in_one(page, server):
    from playwright.sync_api import expect

    assert httpx.patch(f"{server.url}/_mock/devices/app1.dev1", json={"class": "B"}).is_success
    page.click("tr[data-device='app1.dev1']")
    expect(page.locator("#timeline .lane-label", has_text="ping slots")).to_be_visible()
    assert push(server, "AQ==").status_code == 200
    page.click("#run-idle")
    sent = page.locator("#timeline [data-kind=sent]")
    expect(sent.locator("title")).to_contain_text("sent in PING")
    transmit_at = sent.locator("title").text_content().split(" at ")[1].split(",")[0]
    slots = page.locator("#timeline [data-kind=ping-slot] title")
    expect(slots.filter(has_text=transmit_at)).to_have_count(1)  # the slot it went in
    screenshot(page, "device-class-b")


def test_an_uplink_without_the_ack_bit_nacks_a_confirmed_downlink_on_the_timeline(page, server):
    from playwright.sync_api import expect

    confirmed = {"downlinks": [{"f_port": 2, "frm_payload": "AQ==", "confirmed": True}]}
    assert httpx.post(f"{server.url}{PUSH}", headers=AUTH, json=confirmed).status_code == 200
    page.click("tr[data-device='app1.dev1']")
    page.click("#uplink-send")
    expect(page.locator("#toast")).to_contain_text("uplink FCnt 1 received")
    page.click("#run-idle")
    expect(page.locator("#timeline [data-kind=sent]")).to_have_count(1)
    expect(page.locator("tr[data-device='app1.dev1']")).to_contain_text("awaiting ack")
    page.uncheck("#uplink-ack")
    page.click("#uplink-send")
    expect(page.locator("#timeline [data-kind=nacked]")).to_have_count(1)
    expect(page.locator("#events tbody")).to_contain_text("nacked")
    screenshot(page, "device-nack")
