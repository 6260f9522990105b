"""Issue 20, items 4 and 6, in headless Chromium: a KPN SMS device shows its bearer (not
"class A · EU868 · no session"), its SMS downlink's life shows in its timeline and events,
and a device past the 2 000 the live feed lists is reached by search and by paging.
Skips locally without Playwright or Chromium, as tests/ui/test_browser.py does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.server import MockServer
from mockserver.ui.stream import MAX_DEVICES
from tests.providers.kpn.helpers import bearer, body, default_world, token
from tests.ui.test_browser import console, page, screenshot  # noqa: F401

pytestmark = pytest.mark.slow

SMS_CORE_ID = "kpn.9b2e3f4a-1c5d-4e6f-8a7b-0c1d2e3f4a5b"
#: Past what the live feed lists, by more than a page of the list (500 rows).
BIG_WORLD = MAX_DEVICES + 650


def device_row(page: Any, device_id: str) -> Any:  # noqa: F811
    return page.locator(f"#devices tr[data-device='{device_id}']")


def test_an_sms_device_shows_its_bearer_and_its_downlink_life(page, server, console) -> None:  # noqa: F811
    from playwright.sync_api import expect

    row = device_row(page, SMS_CORE_ID)
    expect(row.locator("[data-col=bearer]")).to_have_text("SMS")
    expect(row).not_to_contain_text("no session")
    expect(device_row(page, "app1.dev1").locator("[data-col=bearer]")).to_have_text("LoRa A")
    expect(page.locator("#device-pager")).to_be_hidden()  # 11 devices: one page
    row.click()
    facts = page.locator("#device-facts")
    expect(facts).to_have_text("kpn · SMS · idle")
    expect(page.locator("#queue")).to_be_hidden()  # an SMS never sits in a radio queue
    expect(page.locator("#bearer-note")).to_contain_text("SMS downlinks go through the SMS")

    assert server.url is not None
    with httpx.Client(base_url=server.url) as http:
        auth = bearer(token(http))
        created = http.post("/sms/downlinks", json=body("sms"), headers=auth)
        assert created.status_code == 201, created.text
        downlink = created.json()["id"]
        server.clock.advance(0)  # handed to the carrier (EXECUTING)
        expect(facts).to_have_text("kpn · SMS · with the carrier")
        expect(device_row(page, SMS_CORE_ID).locator("[data-col=queued]")).to_have_text("1")
        server.clock.advance(5)  # the carrier's delivery report (world sms_delay: 5 s)
        done = http.get(f"/sms/downlinks/{downlink}", headers=auth).json()
    assert done["status"] == "DONE"

    events = page.locator("#events tbody tr")
    for kind in ("created", "executing", "sent", "delivered", "done"):
        expect(page.locator(f"#events tbody tr[data-kind='{kind}']")).to_have_count(1)
    expect(events.first).to_have_attribute("data-kind", "done")  # newest first
    expect(events.first).to_contain_text(downlink)
    timeline = page.locator("#timeline svg")
    expect(timeline.locator("[data-status='DONE']")).to_have_count(1)
    expect(timeline.locator("[data-status='EXECUTING']")).to_have_count(1)  # joined: PENDING →
    expect(timeline.locator("[data-kind='delivered']")).to_have_count(1)
    expect(timeline.locator("[data-kind='sent']")).to_have_count(1)
    expect(timeline).to_contain_text("PENDING → EXECUTING")
    expect(timeline).to_contain_text("SMS")  # the downlink lane is named after its bearer
    expect(timeline).not_to_contain_text("RX windows")
    expect(facts).to_have_text("kpn · SMS · idle")
    screenshot(page, "kpn-sms-timeline")
    assert console == []


def big_world(size: int) -> dict[str, Any]:
    """The default world plus `size` TTS devices in app1 (the first ones listed)."""
    world = default_world()
    devices = world["tts"]["applications"][0]["devices"]
    devices.extend(
        {"id": f"bulk-{n:05d}", "dev_eui": f"70B3D57E{n:08X}", "class": "A"} for n in range(size)
    )
    return world


@pytest.fixture
def big(browser: Any) -> Iterator[tuple[MockServer, Any]]:
    served = MockServer(big_world(BIG_WORLD))
    served.start()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    opened.goto(f"{served.url}/_mock/ui")
    yield served, opened
    context.close()
    served.stop()


def test_a_device_past_the_feed_s_2000_is_reached_by_search_and_by_paging(big) -> None:
    from playwright.sync_api import expect

    server, tab = big
    total = len(server.network)
    assert total > MAX_DEVICES + 500
    last = list(server.network)[-1].id  # past the 2 000 the live feed lists
    expect(tab.locator("#device-count")).to_have_text(str(total))
    expect(tab.locator("#devices tbody tr")).to_have_count(500)  # one page
    expect(device_row(tab, last)).to_have_count(0)

    tab.fill("#device-filter", "bulk-02600")  # searched by the server
    expect(device_row(tab, "app1.bulk-02600")).to_be_visible()
    expect(tab.locator("#devices tbody tr")).to_have_count(1)
    expect(tab.locator("#device-count")).to_have_text(f"1 of {total}")
    device_row(tab, "app1.bulk-02600").click()
    expect(tab.locator("#device-title")).to_have_text("app1.bulk-02600")
    expect(tab.locator("#device-facts")).to_contain_text("class A · EU868")

    tab.fill("#device-filter", "")
    expect(tab.locator("#devices-range")).to_have_text(f"1–500 of {total}")
    pages = -(-total // 500)
    for _ in range(pages - 1):
        tab.click("#devices-next")
    expect(tab.locator("#devices-range")).to_have_text(
        f"{(pages - 1) * 500 + 1}–{total} of {total}"
    )
    expect(device_row(tab, last)).to_be_visible()
    expect(tab.locator("#devices-next")).to_be_disabled()
    device_row(tab, last).click()
    expect(tab.locator("#device-title")).to_have_text(last)
    screenshot(tab, "devices-paged")
