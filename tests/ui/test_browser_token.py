"""The dashboard of a server with an admin token, in a real browser: the token is given once
in the address's fragment (or typed when asked), kept in the tab, and sent with every call,
the live feed's included; the page's own state-changing calls pass the Origin check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.server import MockServer
from tests.ui.test_browser import live, push, screenshot

TOKEN = "s3cret-token"
pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[MockServer]:
    """A server with an admin token on a free port (named `server`: the contract check)."""
    served = MockServer(admin_token=TOKEN)
    served.start()
    yield served
    served.stop()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    opened = browser.new_context(viewport={"width": 1400, "height": 900})
    yield opened
    opened.close()


def test_the_token_in_the_fragment_lets_the_page_work_and_leaves_the_address(context, server):
    from playwright.sync_api import expect

    page = context.new_page()
    page.set_default_timeout(10_000)
    sent: list[str | None] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.headers.get("x-mockserver-admin-token"))
            if "/_mock/" in request.url and not re.search(r"/_mock/ui/([\w-]+\.\w+)?$", request.url)
            else None
        ),
    )
    page.goto(f"{server.url}/_mock/ui/#token={TOKEN}")
    live(page)  # the feed (over fetch, with the token's header) is live
    expect(page).to_have_url(f"{server.url}/_mock/ui/")  # the token left the address
    assert page.evaluate("sessionStorage.getItem('mockserver-admin-token')") == TOKEN

    page.click("tr[data-device='app1.dev1']")
    assert push(server, "3q2+7w==").status_code == 200
    expect(page.locator("#queue tbody")).to_contain_text("DEADBEEF")
    page.click("#reset")
    page.click("#reset")  # confirmed: a POST from the page, Origin and token checked
    expect(page.locator("tr[data-device='app1.dev1'] td[data-col=queued]")).to_have_text("0")
    assert server.network.get("app1.dev1").queue.snapshot() == []
    screenshot(page, "token")

    page.reload()  # kept in the tab: no need to give it again
    live(page)
    assert sent and all(token == TOKEN for token in sent), sent


def test_without_the_token_the_page_asks_for_it(context, server):
    page = context.new_page()
    page.set_default_timeout(10_000)
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept(TOKEN)

    page.on("dialog", answer)
    page.goto(f"{server.url}/_mock/ui/")
    live(page)
    assert len(asked) == 1 and "admin token" in asked[0]


def test_a_refused_token_leaves_the_page_disconnected(context, server):
    from playwright.sync_api import expect

    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.goto(f"{server.url}/_mock/ui/#token=wrong")
    expect(page.locator("#live")).to_have_text("disconnected")
    expect(page.locator("tr[data-device='app1.dev1']")).to_have_count(0)


def test_without_the_token_the_page_shows_nothing_of_the_server(server):
    """The page and its files are the package's own; every read of the server needs it."""
    assert httpx.get(f"{server.url}/_mock/ui/").status_code == 200
    assert httpx.get(f"{server.url}/_mock/ui/api.js").status_code == 200
    for path in ("ui/stream", "ui/scenarios", "devices", "journal"):
        assert httpx.get(f"{server.url}/_mock/{path}").status_code == 401, path
