"""The outbound delivery worker under bursts, dead and silent receivers, full queues and
resets (issue 19, items 1 and 2). Real receivers on real ports; every wall-clock bound here
is generous (the targets and the measured figures are in docs/reliability.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from mockserver.delivery import (
    DEFAULT_CONCURRENCY,
    DEFAULT_QUEUE_CAPACITY,
    DeliveryLimits,
    origin_of,
)
from mockserver.outbound import OutboundMessage
from mockserver.server import MockServer
from tests.delivery_receivers import KEY, Receiver, Silent, closed_port, tts_world

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    live = Receiver()
    yield live
    live.close()


def message(url: str, n: int = 0) -> OutboundMessage:
    return OutboundMessage("tts", "downlink_queued", url, {}, b'{"n":%d}' % n, at=0)


def push_many(server: MockServer, count: int) -> httpx.Response:
    downlinks = [{"f_port": 1, "frm_payload": "AQ=="} for _ in range(count)]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as c:
        return c.post(PUSH, json={"downlinks": downlinks}, timeout=30)


def test_the_defaults_are_the_documented_ones() -> None:
    server = MockServer()
    assert server.outbound.limits.queue_capacity == DEFAULT_QUEUE_CAPACITY == 1024
    assert server.outbound.limits.concurrency == DEFAULT_CONCURRENCY == 4
    assert server.outbound.limits.timeout == 5.0
    assert origin_of("http://Example.com/x?y") == "http://example.com:80"


def test_a_burst_of_1000_webhooks_reaches_a_live_receiver(receiver: Receiver) -> None:
    """One push of 1 000 downlinks: 1 000 `downlink_queued` webhooks, all delivered (the
    target is 10 s; the bound here is generous for a loaded machine)."""
    server = MockServer(tts_world(receiver.url))
    server.start()
    try:
        started = time.perf_counter()
        assert push_many(server, 1000).status_code == 200
        assert server.outbound.flush(timeout=60)
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    assert len(receiver.received) == 1000, elapsed
    attempts = server.outbound.attempts()
    assert {attempt.outcome for attempt in attempts} == {"delivered"}
    stats = server.outbound.stats()
    assert (stats["delivered"], stats["failed"], stats["dropped"], stats["queued"]) == (
        1000,
        0,
        0,
        0,
    )
    assert elapsed < 60


def test_a_receiver_with_a_small_backlog_loses_nothing() -> None:
    """The flaky `test_max_attempts_counts_transmissions_from_the_first`: a burst of
    simultaneous connections past a listen backlog of 5 (Python's http.server) made the
    kernel drop some, and the delivery failed with ReadError after 1 s. Sends per
    destination stay within that backlog now."""
    small = Receiver(backlog=5)
    server = MockServer()
    try:
        for n in range(200):
            server.outbound.send(message(small.url + "/x", n))
        assert server.outbound.flush(timeout=60)
    finally:
        server.stop()
        small.close()
    failures = [a.error for a in server.outbound.attempts() if a.outcome != "delivered"]
    assert failures == []
    assert len(small.received) == 200
    assert max(a.duration_ms for a in server.outbound.attempts()) < 900  # no SYN retry


def test_a_dead_receiver_fails_each_message_with_its_real_reason() -> None:
    server = MockServer(tts_world(closed_port() + "/hooks"))
    server.start()
    try:
        assert push_many(server, 1000).status_code == 200
        assert server.outbound.flush(timeout=60)
    finally:
        server.stop()
    attempts = server.outbound.attempts()
    assert len(attempts) == 1000
    assert {a.outcome for a in attempts} == {"failed"}
    assert all("Connection refused" in (a.error or "") for a in attempts), attempts[0].error
    assert server.outbound.stats()["failed"] == 1000


def test_the_timeout_counts_from_the_send_not_from_the_queue() -> None:
    """One send at a time, 0.3 s each, a 1 s timeout: the last of five waits 1.2 s in the
    queue, yet is delivered; a silent receiver times out after the timeout."""
    slow = Receiver(delay=0.3)
    silent = Silent()
    server = MockServer()
    server.outbound.limits = DeliveryLimits(concurrency=1, timeout=1.0)
    try:
        for n in range(5):
            server.outbound.send(message(slow.url + "/slow", n))
        server.outbound.send(message(silent.url + "/never", 9))
        assert server.outbound.flush(timeout=60)
    finally:
        server.stop()
        slow.close()
        silent.close()
    attempts = server.outbound.attempts()
    assert [a.outcome for a in attempts] == ["delivered"] * 5 + ["failed"]
    assert [body for _, body in slow.received] == [b'{"n":%d}' % n for n in range(5)]
    timed_out = attempts[-1]
    assert timed_out.error == "Timeout: no answer within 1 s"
    assert 900 <= timed_out.duration_ms < 10_000


def test_a_full_queue_drops_its_oldest_message_and_says_so(receiver: Receiver) -> None:
    receiver.open.clear()  # the receiver holds every request
    server = MockServer(delivery_queue=3, delivery_concurrency=1)
    try:
        sent = [server.outbound.send(message(receiver.url + "/held", n)) for n in range(10)]
        deadline = time.monotonic() + 30
        while server.outbound.stats()["in_flight"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        # One in flight, at most three queued: the rest were dropped, the oldest first,
        # each with its reason (how many depends on when the first send began).
        dropped = [n for n, a in enumerate(sent) if a.outcome == "dropped"]
        stats = server.outbound.stats()
        assert (stats["in_flight"], stats["dropped"]) == (1, len(dropped))
        assert stats["queued"] + stats["in_flight"] + stats["dropped"] == 10
        assert stats["queued"] <= 3 and len(dropped) >= 6
        assert dropped == list(range(dropped[0], dropped[0] + len(dropped)))
        assert sent[8].outcome == sent[9].outcome == "pending"
        for n in dropped:
            assert "the queue to http://127.0.0.1:" in (sent[n].error or "")
            assert "was full (3 messages)" in (sent[n].error or "")
        with server.client() as admin:
            shown = admin.get("/_mock/outbound").json()
            assert sum(1 for a in shown if a["outcome"] == "dropped") == len(dropped)
            assert admin.get("/_mock/outbound/stats").json()["dropped"] == len(dropped)
        receiver.open.set()
        assert server.outbound.flush(timeout=30)
    finally:
        server.stop()
    assert len(receiver.received) == 10 - len(dropped)
    assert server.outbound.stats()["delivered"] == 10 - len(dropped)


def test_reset_with_deliveries_pending_answers_at_once_and_cancels_them() -> None:
    """1 000 deliveries to a receiver that never answers: the reset does not wait for any,
    and a health check sent meanwhile is not held up (target 200 ms; bound 2 s)."""
    silent = Silent()
    server = MockServer()
    server.start()
    try:
        for n in range(1000):
            server.outbound.send(message(silent.url + "/never", n))
        time.sleep(0.2)  # let the first sends connect and hang (nothing waits on this)
        health: list[float] = []

        def check_health() -> None:
            begun = time.perf_counter()
            httpx.get(f"{server.url}/_mock/health", timeout=10)
            health.append(time.perf_counter() - begun)

        with httpx.Client(base_url=server.url, timeout=10) as c:
            alongside = threading.Thread(target=check_health)
            begun = time.perf_counter()
            alongside.start()
            answer = c.post("/_mock/reset")
            took = time.perf_counter() - begun
            alongside.join(10)
        assert answer.status_code == 200
        assert took < 2.0
        assert health and health[0] < 2.0
        stats = server.outbound.stats()
        assert stats["cancelled"] == 1000
        assert (stats["queued"], stats["in_flight"]) == (0, 0)
        assert server.outbound.flush(timeout=1)  # nothing left to wait for
    finally:
        server.stop()
        silent.close()


def test_cancelled_attempts_say_so_and_new_ones_still_go(receiver: Receiver) -> None:
    silent = Silent()
    server = MockServer()
    try:
        old = [server.outbound.send(message(silent.url + "/old", n)) for n in range(20)]
        server.reset()
        assert {a.outcome for a in old} == {"cancelled"}
        assert all(a.error == "cancelled: the simulator was reset" for a in old)
        new = server.outbound.send(message(receiver.url + "/new"))
        assert server.outbound.flush(timeout=30)
        assert new.outcome == "delivered"
    finally:
        server.stop()
        silent.close()


def test_flush_still_waits_for_delivery() -> None:
    slow = Receiver(delay=0.2)
    server = MockServer()
    try:
        attempt = server.outbound.send(message(slow.url + "/x"))
        assert attempt.outcome == "pending"
        assert server.outbound.flush(timeout=30)
        assert attempt.outcome == "delivered"
        assert slow.received
    finally:
        server.stop()
        slow.close()


def test_the_figures_are_in_the_report(receiver: Receiver) -> None:
    server = MockServer()
    try:
        server.outbound.send(message(receiver.url + "/x"))
        server.outbound.send(message(closed_port() + "/y"))
        assert server.outbound.flush(timeout=30)
        with server.client() as admin:
            report = admin.get("/_mock/report").json()
            markdown = admin.get("/_mock/report?format=markdown").text
    finally:
        server.stop()
    assert report["delivery"] == {
        "queued": 0,
        "in_flight": 0,
        "delivered": 1,
        "failed": 1,
        "dropped": 0,
        "cancelled": 0,
    }
    assert "Outbound messages: 1 delivered, 1 failed, 0 dropped" in markdown


def test_limits_are_refused_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MockServer(delivery_queue=0)
    with pytest.raises(ValueError, match="at least 1"):
        MockServer(delivery_concurrency=0)


def test_an_idle_destination_gives_up_its_connections(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long `serve` meets many receivers: one with nothing to send is forgotten (its
    connections closed) after a while, and comes back on its next message."""
    monkeypatch.setattr("mockserver.delivery.IDLE_SECONDS", 0.05)
    server = MockServer()
    try:
        server.outbound.send(message(receiver.url + "/a"))
        assert server.outbound.flush(timeout=30)
        deadline = time.monotonic() + 30
        while server.outbound._destinations and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not server.outbound._destinations
        again = server.outbound.send(message(receiver.url + "/b"))
        assert server.outbound.flush(timeout=30)
        assert again.outcome == "delivered"
    finally:
        server.stop()
    assert [path for path, _ in receiver.received] == ["/a", "/b"]
