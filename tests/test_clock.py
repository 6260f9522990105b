from datetime import UTC, datetime

import pytest

from mockserver.clock import RealClock, VirtualClock, from_datetime, to_datetime
from mockserver.types import SECOND


def test_virtual_clock_starts_at_a_fixed_instant_and_moves_only_when_told():
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(1.5)
    assert clock.now_us() == from_datetime(datetime(2026, 1, 1, tzinfo=UTC)) + 1_500_000


def test_timers_fire_in_due_order_at_their_own_instant():
    clock = VirtualClock(0)
    seen = []
    clock.call_at(3 * SECOND, lambda: seen.append(("c", clock.now_us())))
    clock.call_at(1 * SECOND, lambda: seen.append(("a", clock.now_us())))
    clock.call_at(1 * SECOND, lambda: seen.append(("b", clock.now_us())))
    assert clock.advance(2) == 2
    assert seen == [("a", SECOND), ("b", SECOND)]
    assert clock.now_us() == 2 * SECOND
    clock.run_until_idle()
    assert seen[-1] == ("c", 3 * SECOND)
    assert clock.pending() == 0


def test_a_timer_may_schedule_another_and_cancelled_ones_never_fire():
    clock = VirtualClock(0)
    seen = []
    cancelled = clock.call_at(SECOND, lambda: seen.append("cancelled"))
    cancelled.cancel()
    clock.call_at(SECOND, lambda: clock.call_at(2 * SECOND, lambda: seen.append("chained")))
    clock.run_until_idle()
    assert seen == ["chained"]


def test_time_never_goes_backwards():
    clock = VirtualClock(10 * SECOND)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.advance_to(0)


def test_reset_drops_timers_and_returns_to_the_start():
    clock = VirtualClock(0)
    clock.call_at(SECOND, lambda: None)
    clock.advance(5)
    clock.reset()
    assert clock.now_us() == 0
    assert clock.pending() == 0


def test_real_clock_runs_faster_with_a_speed_factor():
    clock = RealClock(speed=1000)
    first = clock.now_us()
    fired = []
    clock.call_at(first, lambda: fired.append(True))
    assert clock.fire_due() == 1
    assert fired == [True]
    assert clock.now_us() >= first


def test_datetime_round_trip_is_exact_to_the_microsecond():
    moment = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    assert to_datetime(from_datetime(moment)) == moment


def test_the_garbage_collector_is_left_as_it_was_found():
    import gc

    clock = VirtualClock(0)
    seen = []
    clock.call_at(SECOND, lambda: seen.append(gc.isenabled()))
    assert gc.isenabled()
    clock.advance(2)
    assert seen == [False] and gc.isenabled()  # paused while timers ran, then restored

    def fail() -> None:
        raise RuntimeError("a timer failed")

    clock.call_at(3 * SECOND, fail)
    with pytest.raises(RuntimeError):
        clock.advance(2)
    assert gc.isenabled()
    gc.disable()
    try:
        clock.advance(1)
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()


def test_what_timers_made_is_not_walked_by_a_collection_pass_after_the_advance():
    """Objects made while the collector was paused count as old afterwards: otherwise the
    first allocation after the advance walks them all (1.3 s of a simulated day of 10 000
    devices). Only when nobody froze objects (unfreezing would release theirs)."""
    import gc

    if gc.get_freeze_count():
        pytest.skip("objects frozen by someone else")
    clock = VirtualClock(0)
    kept: list[list[int]] = []
    clock.call_at(SECOND, lambda: kept.extend([i] for i in range(5000)))
    passes: list[dict[str, int]] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            passes.append(info)

    gc.collect()  # counts from zero
    gc.callbacks.append(watch)
    try:
        clock.advance(2)
        after = [[n] for n in range(100)]  # the allocations that would start the pass
    finally:
        gc.callbacks.remove(watch)
    assert len(kept) == 5000 and len(after) == 100
    assert passes == []  # no pass over the 5000 young lists the timer made
    assert gc.get_freeze_count() == 0 and gc.isenabled()
