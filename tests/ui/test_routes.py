"""The page's files and the small reads the dashboard adds under /_mock/ui."""

from __future__ import annotations

import pytest

from mockserver.scenario.loading import bundled_scenarios_dir
from mockserver.ui.routes import STATIC
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")


def test_the_page_is_served_at_its_directory_url(client):
    moved = client.get("/_mock/ui?tenant=t1", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == "/_mock/ui/?tenant=t1"  # relative links resolve
    page = client.get("/_mock/ui/")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="dashboard.js">' in page.text


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("dashboard.js", "text/javascript; charset=utf-8"),
        ("timeline.js", "text/javascript; charset=utf-8"),
        ("api.js", "text/javascript; charset=utf-8"),
        ("dashboard.css", "text/css; charset=utf-8"),
    ],
)
def test_each_file_is_served_with_its_type_and_revalidated(client, name, media):
    answer = client.get(f"/_mock/ui/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == media
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.content == (STATIC / name).read_bytes()


@pytest.mark.parametrize("name", ["__init__.py", "stream.py", "nothing.js", "..%2Fstream.py"])
def test_only_the_page_files_can_be_fetched(client, name):
    answer = client.get(f"/_mock/ui/{name}")
    assert answer.status_code == 404
    assert "error" in answer.json()


def test_the_bundled_scenarios_are_listed_for_the_picker(client):
    listed = client.get("/_mock/ui/scenarios").json()
    assert [s["name"] for s in listed] == sorted(
        p.stem for p in bundled_scenarios_dir().glob("*.yaml")
    )
    assert all(s["description"] for s in listed)


def test_an_exchange_in_full_shows_the_nearest_valid_body_of_a_broken_one(client, server):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 2, "frm_payload": "AQ=="}]})
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]})
    good, bad = (entry.sequence for entry in server.journal.entries())
    valid = client.get(f"/_mock/ui/journal/{good}").json()
    assert (valid["valid"], valid["nearest_valid_body"]) == (True, None)
    broken = client.get(f"/_mock/ui/journal/{bad}").json()
    assert broken["violations"][0]["rule"] == "maximum"
    assert broken["request"]["body"]["downlinks"][0]["f_port"] == 300
    assert broken["nearest_valid_body"] == {"downlinks": [{"f_port": 255, "frm_payload": "AQ=="}]}
    gone = client.get("/_mock/ui/journal/999")
    assert (gone.status_code, gone.json()) == (404, {"error": "no exchange 999 in the journal"})


def test_the_live_feed_refuses_an_in_process_client_instead_of_hanging():
    """`MockServer.client()` without a socket reads a body to its end; the feed has none."""
    from mockserver import MockServer

    with MockServer().client() as client:
        refused = client.get("/_mock/ui/stream", timeout=10)
    assert refused.status_code == 400
    assert "server.url" in refused.json()["error"]
