"""The journal within its bounds (issue 19, item 3): a byte budget as well as a count, long
bodies kept truncated with their length and sha256, the oldest evicted first and counted,
and what it evicted said by the admin API, the reports and the dashboard's feed."""

from __future__ import annotations

import gc
import hashlib
import json
import tracemalloc
from xml.etree import ElementTree

import pytest

from mockserver import cli
from mockserver.cli_options import journal_options
from mockserver.cli_options import size as byte_size
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.formatters.engine import expect_scripts
from mockserver.journal import DEFAULT_BODY_LIMIT, DEFAULT_BYTE_BUDGET, Journal
from mockserver.server import MockServer
from mockserver.ui.stream import Watcher
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")


def push_body(size: int) -> bytes:
    """A valid push padded to `size` bytes with a field TTS drops (a contract warning)."""
    head = b'{"downlinks":[{"f_port":2,"frm_payload":"AQ=="}],"padding":"'
    return head + b"A" * (size - len(head) - 2) + b'"}'


def record(journal: Journal, body: bytes, status: int = 200) -> None:
    request = HttpRequest("POST", "/x", "", {"content-type": "application/json"}, body)
    journal.add(0, "tts", None, request, HttpResponse(status, {}, b""), [])


def test_the_defaults_are_64_mib_and_256_kib():
    journal = Journal()
    assert (journal.byte_budget, journal.body_limit) == (DEFAULT_BYTE_BUDGET, DEFAULT_BODY_LIMIT)
    assert (DEFAULT_BYTE_BUDGET, DEFAULT_BODY_LIMIT) == (64 * 1024**2, 256 * 1024)


def test_a_long_body_is_kept_truncated_with_its_length_and_sha256():
    journal = Journal(body_limit=1000)
    body = push_body(5000)
    request = HttpRequest("POST", "/x", "", {}, body)
    journal.add(0, "tts", None, request, HttpResponse(200, {}, b""), [])
    (entry,) = journal.entries()
    assert entry.request.body == body[:1000]
    assert request.body == body  # the caller's request is not changed
    assert entry.request_truncated is not None
    assert entry.request_truncated.length == 5000
    assert entry.request_truncated.sha256 == hashlib.sha256(body).hexdigest()
    shown = entry.to_json()["request"]
    assert (shown["body_length"], shown["body_truncated"]) == (5000, True)
    assert shown["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert (
        entry.to_json()["response"] | {"body_length": 0, "body_truncated": False}
        == (entry.to_json()["response"])
    )


def test_the_oldest_go_first_within_the_byte_budget_and_are_counted():
    journal = Journal(byte_budget=20_000, body_limit=4000)
    for _ in range(10):
        record(journal, push_body(4000))
    kept = journal.entries()
    assert [entry.sequence for entry in kept] == list(range(11 - len(kept), 11))
    assert journal.bytes <= 20_000
    assert journal.evicted_entries == 10 - len(kept) > 0
    assert journal.evicted_bytes > 0
    stats = journal.stats()
    assert stats["entries"] == len(kept) and stats["evicted_entries"] == journal.evicted_entries


def test_the_count_still_bounds_it_and_counts_too():
    journal = Journal(3)
    for _ in range(5):
        record(journal, b"{}")
    assert [entry.sequence for entry in journal.entries()] == [3, 4, 5]
    assert journal.evicted_entries == 2


def test_the_newest_exchange_stays_even_over_the_budget():
    journal = Journal(byte_budget=100, body_limit=10_000)
    record(journal, push_body(5000))
    record(journal, push_body(6000))
    (entry,) = journal.entries()
    assert entry.sequence == 2 and journal.evicted_entries == 1


def test_a_clear_forgets_the_evictions_too():
    journal = Journal(1)
    record(journal, b"")
    record(journal, b"")
    journal.clear()
    assert (len(journal), journal.bytes, journal.evicted_entries, journal.evicted_bytes) == (
        0,
        0,
        0,
        0,
    )
    assert journal.clears == 1


@pytest.mark.parametrize("name", ["capacity", "byte_budget", "body_limit"])
def test_a_bound_under_one_is_refused(name):
    with pytest.raises(ValueError, match=name):
        Journal(**{name: 0})


def test_the_admin_api_shows_truncation_and_evictions():
    server = MockServer(journal_bytes=300_000, journal_body_bytes=100_000)
    body = push_body(1_000_000)
    with server.client() as http:
        for _ in range(5):
            assert http.post(PUSH, headers=AUTH, content=body).status_code == 200
        answer = http.get("/_mock/journal")
    entries = answer.json()
    assert 0 < len(entries) < 5
    request = entries[-1]["request"]
    assert (request["body_length"], request["body_truncated"]) == (1_000_000, True)
    assert request["body_sha256"] == hashlib.sha256(body).hexdigest()
    evicted = int(answer.headers["x-mockserver-journal-evicted-entries"])
    assert evicted == 5 - len(entries)
    assert int(answer.headers["x-mockserver-journal-evicted-bytes"]) > 0
    assert int(answer.headers["x-mockserver-journal-bytes"]) == server.journal.bytes


def test_the_reports_say_how_much_was_evicted():
    server = MockServer(journal_bytes=50_000, journal_body_bytes=20_000)
    with server.client() as http:
        for _ in range(6):
            http.post(PUSH, headers=AUTH, content=push_body(30_000))
        report = http.get("/_mock/report").json()
        markdown = http.get("/_mock/report", params={"format": "markdown"}).text
        junit = http.get("/_mock/report", params={"format": "junit"}).text
    figures = report["journal"]
    assert figures["evicted_entries"] == 6 - figures["entries"] > 0
    assert figures["byte_budget"] == 50_000 and figures["body_limit"] == 20_000
    assert f"{figures['evicted_entries']} evicted" in markdown
    suite = next(s for s in ElementTree.fromstring(junit) if s.get("name") == "journal")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["journal.evicted_entries"] == str(figures["evicted_entries"])
    assert suite.get("failures") == "0"


@pytest.mark.parametrize("thread", [False, True], ids=["on-the-caller", "simulator-thread"])
def test_nothing_else_holds_a_long_body(thread):
    """A journalled push leaves only its truncated copy behind: not in `last_exchange`, not
    as parsed JSON, not in the contract log or the scenario engine, nor on the simulator's
    thread (where calls go once the process has met a script) after the call."""
    if thread:
        expect_scripts()  # process-wide and sticky: later tests here use the thread too
    server = MockServer(journal_body_bytes=64 * 1024)
    body = push_body(2 * 1024 * 1024)
    with server.client() as http:
        http.post(PUSH, headers=AUTH, content=body)  # warm: first-use caches
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(10):
                assert http.post(PUSH, headers=AUTH, content=body).status_code == 200
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    # 10 copies of 64 KiB kept, plus their objects; one whole body would be 2 MiB more.
    assert grown < 2 * 1024 * 1024, grown
    assert len(server.simulator.last_exchange[4].body) == 64 * 1024


def test_a_tenant_has_the_homes_journal_bounds():
    server = MockServer(journal_bytes=123_456, journal_body_bytes=7_890)
    with server.client() as http:
        http.get("/_mock/health", headers={"X-Mockserver-Tenant": "team-a"})
    tenant = server.tenants.find("team-a")
    journal = tenant.host.simulator.journal
    assert (journal.byte_budget, journal.body_limit) == (123_456, 7_890)


def test_the_dashboard_feed_does_not_take_evictions_for_a_clear():
    server = MockServer(journal_bytes=60_000, journal_body_bytes=20_000)
    watcher = Watcher(server.tenants, server.host, None)
    watcher.snapshot()
    with server.client() as http:
        http.post(PUSH, headers=AUTH, content=push_body(15_000))
        watcher.look(clock_due=False)
        for _ in range(5):
            http.post(PUSH, headers=AUTH, content=push_body(15_000))
        assert server.journal.evicted_entries > 0
        _, update = watcher.look(clock_due=False)
        assert "journal_cleared" not in update
        kept = [entry.sequence for entry in server.journal.entries()]
        assert [row["sequence"] for row in update["journal"]] == kept  # the new ones kept
        http.delete("/_mock/journal")
        http.post(PUSH, headers=AUTH, content=push_body(100))
        _, update = watcher.look(clock_due=False)
        assert update["journal_cleared"] is True
    watcher.close()


@pytest.mark.parametrize(
    ("text", "size"),
    [("67108864", 64 * 1024**2), ("64MiB", 64 * 1024**2), ("256KiB", 256 * 1024), ("1GB", 1024**3)],
)
def test_sizes_are_read_in_bytes_or_with_a_unit(text, size):
    assert byte_size(text) == size


@pytest.mark.parametrize("text", ["0", "-1", "1.5MiB", "lots", "64XB"])
def test_a_size_that_is_not_one_is_refused_in_one_line(text, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["serve", "--journal-bytes", text])
    assert exit.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--journal-bytes" in error


def test_the_options_and_the_environment_set_the_kwargs(monkeypatch):
    parser = cli._parser()
    args = parser.parse_args(["serve", "--journal-bytes", "8MiB"])
    monkeypatch.setenv("MOCKSERVER_JOURNAL_BODY_BYTES", "1KiB")
    assert journal_options(args) == {"journal_bytes": 8 * 1024**2, "journal_body_bytes": 1024}
    monkeypatch.setenv("MOCKSERVER_JOURNAL_BYTES", "none")
    args = parser.parse_args(["serve"])
    with pytest.raises(cli.UsageError, match="MOCKSERVER_JOURNAL_BYTES"):
        journal_options(args)


def test_json_of_an_entry_is_plain_json():
    journal = Journal(body_limit=10)
    record(journal, b'{"a": "0123456789"}')
    json.dumps([entry.to_json() for entry in journal.entries()])
