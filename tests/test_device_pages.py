"""Issue 20, item 6: every device of a big world can be reached. `GET /_mock/devices` and the
dashboard's `GET /_mock/ui/devices` page and search the world within a page bound, and the
live feed, which lists the first 2 000, tells the page so."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mockserver.server import MockServer
from mockserver.simulator.device_pages import MAX_PAGE, MAX_QUERY
from mockserver.ui.stream import MAX_DEVICES, Watcher
from mockserver.ui.summaries import device_summary
from tests.providers.kpn.helpers import default_world

BULK = MAX_DEVICES + 500  # more than the live feed lists


def big_world(size: int) -> dict[str, Any]:
    world = default_world()
    world["tts"]["applications"][0]["devices"].extend(
        {"id": f"bulk-{n:05d}", "dev_eui": f"70B3D57E{n:08X}", "class": "A"} for n in range(size)
    )
    return world


@pytest.fixture(scope="module")
def big() -> MockServer:
    return MockServer(big_world(BULK))


@pytest.fixture
def http(big: MockServer):
    with big.client() as client:
        yield client


def ids(answer: Any) -> list[str]:
    return [device["id"] for device in answer.json()]


def test_unasked_the_listing_is_every_device_of_a_world_within_the_bound(big, http):
    answer = http.get("/_mock/devices")
    assert answer.status_code == 200
    assert ids(answer) == [device.id for device in big.network]
    assert len(big.network) > MAX_DEVICES
    assert answer.headers["x-total-count"] == str(len(big.network))
    assert "link" not in answer.headers  # nothing past this page


def test_following_next_reaches_every_device_once_in_order(big, http):
    seen: list[str] = []
    url: str | None = "/_mock/devices?limit=700"
    pages = 0
    while url is not None:
        answer = http.get(url)
        assert answer.status_code == 200
        assert len(answer.json()) <= 700
        assert answer.headers["x-total-count"] == str(len(big.network))
        seen += ids(answer)
        pages += 1
        found = re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers.get("link", ""))
        url = found.group(1) if found else None
    assert seen == [device.id for device in big.network]
    assert pages == -(-len(big.network) // 700)


def test_a_search_finds_by_id_dev_eui_or_bearer_in_any_case(big, http):
    answer = http.get("/_mock/devices", params={"q": "BULK-0240"})
    assert ids(answer) == [f"app1.bulk-0240{n}" for n in range(10)]
    assert answer.headers["x-total-count"] == "10"
    assert f"{2407:08X}" == "00000967"
    assert ids(http.get("/_mock/devices", params={"q": "70b3d57e00000967"})) == ["app1.bulk-02407"]
    sms = http.get("/_mock/devices", params={"q": "sms"}).json()
    assert [(d["provider"], d["bearer"]) for d in sms] == [("kpn", "sms")]
    kpn = http.get("/_mock/devices", params={"provider": "kpn", "limit": "2", "offset": "1"})
    assert kpn.headers["x-total-count"] == "4"
    expected = [d.id for d in big.network if d.provider == "kpn"][1:3]
    assert ids(kpn) == expected
    assert 'offset=3&limit=2>; rel="next"' in kpn.headers["link"]
    assert "provider=kpn" in kpn.headers["link"]
    nothing = http.get("/_mock/devices", params={"q": "no-such-device"})
    assert (nothing.json(), nothing.headers["x-total-count"]) == ([], "0")


def test_past_the_end_is_an_empty_page_with_the_count(big, http):
    answer = http.get("/_mock/devices", params={"offset": str(len(big.network) + 5)})
    assert (answer.status_code, answer.json()) == (200, [])
    assert answer.headers["x-total-count"] == str(len(big.network))
    counted = http.get("/_mock/devices", params={"limit": "0"})
    assert (counted.json(), counted.headers["x-total-count"]) == ([], str(len(big.network)))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": str(MAX_PAGE + 1)}, f"limit must be a whole number from 0 to {MAX_PAGE}"),
        ({"limit": "ten"}, "limit must be a whole number"),
        ({"limit": "-1"}, "limit must be a whole number"),
        ({"offset": "-1"}, "offset must be a whole number"),
        ({"offset": "1" * 13}, "offset must be a whole number"),
        ({"q": "x" * (MAX_QUERY + 1)}, f"q must be at most {MAX_QUERY} characters"),
    ],
)
def test_out_of_bounds_is_a_400_naming_the_parameter(http, query, message):
    for path in ("/_mock/devices", "/_mock/ui/devices"):
        answer = http.get(path, params=query)
        assert answer.status_code == 400, path
        assert message in answer.json()["error"], path


def test_the_dashboard_s_rows_page_a_big_world_as_the_feed_writes_them(big, http):
    page = http.get("/_mock/ui/devices").json()
    assert (page["total"], page["offset"], page["limit"]) == (len(big.network), 0, 200)
    assert len(page["devices"]) == 200
    beyond = list(big.network)[MAX_DEVICES + 100]  # past what the feed lists
    found = http.get("/_mock/ui/devices", params={"q": beyond.id}).json()
    assert found["total"] == 1
    assert found["devices"] == [device_summary(big.simulator, beyond)]
    last = http.get(
        "/_mock/ui/devices", params={"offset": str(len(big.network) - 1), "limit": "5"}
    ).json()
    assert [row["id"] for row in last["devices"]] == [list(big.network)[-1].id]


def test_the_feed_lists_the_first_2000_and_says_the_page_must_ask_for_the_rest(big):
    watcher = Watcher(None, big.host, None)
    try:
        snapshot = watcher.snapshot()
    finally:
        watcher.close()
    assert snapshot["devices_total"] == len(big.network)
    assert snapshot["devices_limit"] == MAX_DEVICES
    assert [row["id"] for row in snapshot["devices"]] == [
        device.id for device in list(big.network)[:MAX_DEVICES]
    ]


def test_the_admin_client_follows_every_page_of_a_world_past_the_bound():
    from mockserver import AdminClient
    from mockserver.inprocess import InProcessTransport
    from mockserver.server import INPROCESS_URL

    huge = MockServer(big_world(MAX_PAGE + 50))
    transport = InProcessTransport(huge.asgi)
    with AdminClient(INPROCESS_URL, transport=transport) as admin:
        every = admin.devices()
        assert [device["id"] for device in every] == [device.id for device in huge.network]
        assert len(every) > MAX_PAGE  # two pages, followed
        sms = admin.devices(q="SMS", provider="kpn")
        assert [(device["provider"], device["bearer"]) for device in sms] == [("kpn", "sms")]
