"""Issue 20, item 2, in headless Chromium: an exchange with contract warnings is not shown as
"valid"; it gets an amber badge of its own, and its detail lists each warning with its
suggestion. Skips locally without Playwright or Chromium, as tests/ui/test_browser.py does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH
from tests.ui.test_browser import PUSH, console, page, screenshot  # noqa: F401

TYPO = {"downlinks": [{"f_port": 2, "frm_payload": "AQ==", "confirmd": True}]}
FLAT = {"f_port": 2, "frm_payload": "AQ=="}
GOOD = {"downlinks": [{"f_port": 2, "frm_payload": "AQ=="}]}

pytestmark = [pytest.mark.slow, pytest.mark.mockserver_allow_violations]


def send(server: MockServer, body: dict[str, Any]) -> None:
    assert httpx.post(f"{server.url}{PUSH}", headers=AUTH, json=body).status_code == 200


def row(page: Any, sequence: int) -> Any:  # noqa: F811
    return page.locator(f"#journal tbody tr[data-sequence='{sequence}']")


def test_warnings_get_their_own_badge_and_colour_not_valid(page, server, console) -> None:  # noqa: F811
    from playwright.sync_api import expect

    send(server, GOOD)  # 1
    send(server, TYPO)  # 2
    send(server, FLAT)  # 3: TTS answers 200 and queues nothing
    page.click("button[data-view=journal]")
    expect(row(page, 1)).to_contain_text("valid")
    for sequence in (2, 3):
        badge = row(page, sequence).locator("[data-role=warning-badge]")
        expect(badge).to_have_text("warning")
        expect(row(page, sequence).locator(".ok")).to_have_count(0)  # not "valid"
    expect(row(page, 2)).to_contain_text("body.downlinks[0].confirmd")
    badge = row(page, 2).locator("[data-role=warning-badge]")
    colour = badge.evaluate("element => getComputedStyle(element).backgroundColor")
    assert colour == "rgb(255, 243, 205)"  # amber, not the green of valid
    broken = "rgb(253, 232, 232)"  # the red of a broken rule
    assert colour != broken
    page.check("#journal-violations-only")  # the filter keeps them, drops the clean one
    expect(row(page, 2)).to_be_visible()
    expect(row(page, 1)).to_have_count(0)
    screenshot(page, "journal-warnings")
    assert console == []


def test_the_detail_lists_each_warning_with_its_suggestion(page, server) -> None:  # noqa: F811
    from playwright.sync_api import expect

    send(server, TYPO)
    send(server, FLAT)
    page.click("button[data-view=journal]")
    row(page, 1).click()
    detail = page.locator("#exchange")
    expect(detail.locator("[data-role=warnings] li")).to_have_count(1)
    expect(detail).to_contain_text("unknown field `confirmd`: the service ignores it")
    expect(detail.locator("[data-role=suggestion]")).to_have_text("suggestion: confirmed")
    expect(detail).not_to_contain_text("The exchange kept to its API description.")
    screenshot(page, "journal-warning-detail")
    row(page, 2).click()
    expect(detail).to_contain_text("no `downlinks` key: nothing was queued")
    expect(detail.locator("[data-role=suggestion]")).to_contain_text('{"downlinks":')
    expect(detail).not_to_contain_text("The exchange kept to its API description.")


def test_a_violation_and_a_warning_on_one_exchange_show_both(page, server) -> None:  # noqa: F811
    from playwright.sync_api import expect

    bad = {"downlinks": [{"f_port": 300, "frm_payload": "AQ==", "confirmd": True}]}
    assert httpx.post(f"{server.url}{PUSH}", headers=AUTH, json=bad).status_code == 400
    page.click("button[data-view=journal]")
    expect(row(page, 1).locator(".rule")).to_have_text("maximum")
    expect(row(page, 1).locator("[data-role=warning-badge]")).to_have_text("warning")
    row(page, 1).click()
    detail = page.locator("#exchange")
    expect(detail).to_contain_text("Broken rules")
    expect(detail.locator("[data-role=warnings] li")).to_have_count(1)
