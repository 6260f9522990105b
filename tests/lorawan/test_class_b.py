"""Class B timing; vectors from /work/shared/research/lorawan-timing.md §2 unless noted.

The ChirpStack vectors are GPS-relative (GPS epoch = 0); they are mapped to Unix instants with
gps_to_unix so that the functions under test see the Unix time they get in production.
"""

from itertools import pairwise

import pytest

from mockserver.lorawan.class_b import (
    BEACON_GUARD,
    BEACON_PERIOD,
    BEACON_RESERVED,
    BEACON_WINDOW,
    DEFAULT_PING_SLOT_PERIODICITY,
    PING_SLOT_COUNT,
    PING_SLOT_LENGTH,
    T_BEACON_DELAY_SPEC,
    beacon_start_at,
    beacon_time,
    gps_to_unix,
    ping_nb,
    ping_offset,
    ping_period,
    ping_slot_at,
    ping_slots_in_period,
    unix_to_gps,
)

MS = 1_000
S = 1_000_000


def test_constants() -> None:
    assert BEACON_PERIOD == 128 * S
    assert (BEACON_RESERVED, BEACON_GUARD, BEACON_WINDOW) == (2_120 * MS, 3 * S, 122_880 * MS)
    assert (PING_SLOT_COUNT, PING_SLOT_LENGTH) == (4096, 30 * MS)
    assert BEACON_RESERVED + BEACON_WINDOW + BEACON_GUARD == BEACON_PERIOD
    assert PING_SLOT_COUNT * PING_SLOT_LENGTH == BEACON_WINDOW
    assert DEFAULT_PING_SLOT_PERIODICITY == 7
    assert T_BEACON_DELAY_SPEC == 1_500


def test_gps_conversion_uses_epoch_and_18_leap_seconds() -> None:
    assert unix_to_gps(315_964_800 * S) == 18 * S
    assert gps_to_unix(0) == (315_964_800 - 18) * S
    # 2023-11-14T22:13:20Z
    assert unix_to_gps(1_700_000_000 * S + 7) == 1_384_035_218 * S + 7
    assert gps_to_unix(unix_to_gps(1_700_000_000 * S + 7)) == 1_700_000_000 * S + 7


# TS001-1.0.4 Table 59: pingNb = 2^(7-P), pingPeriod = 2^(5+P).
@pytest.mark.parametrize(
    ("periodicity", "nb", "period"),
    [(0, 128, 32), (1, 64, 64), (2, 32, 128), (3, 16, 256), (4, 8, 512), (5, 4, 1024),
     (6, 2, 2048), (7, 1, 4096)],
)  # fmt: skip
def test_ping_nb_and_period(periodicity: int, nb: int, period: int) -> None:
    assert (ping_nb(periodicity), ping_period(periodicity)) == (nb, period)
    # One slot every 0.96 * 2^P s.
    assert period * PING_SLOT_LENGTH == 960 * MS * 2**periodicity


@pytest.mark.parametrize("periodicity", [-1, 8])
def test_periodicity_range(periodicity: int) -> None:
    with pytest.raises(ValueError):
        ping_nb(periodicity)
    with pytest.raises(ValueError):
        ping_period(periodicity)


# §2 ping-offset vectors.
@pytest.mark.parametrize(
    ("beacon_time_gps_s", "dev_addr", "period", "expected"),
    [
        (0, 0x00000000, 32, 6),  # TTS pkg/crypto/ping_slot_test.go
        (0xFF42, 0x004200FF, 4096, 3994),  # TTS ping_slot_test.go
        (0, 0, 4096, 2406),  # CS downlink/classb.rs test (pingNb 1)
        (128, 0, 4096, 1850),  # CS classb.rs test (pingNb 1, next period)
        (0, 0, 2048, 358),  # CS classb.rs test (pingNb 2)
    ],
)
def test_ping_offset(beacon_time_gps_s: int, dev_addr: int, period: int, expected: int) -> None:
    assert ping_offset(beacon_time_gps_s, dev_addr, period) == expected


def test_ping_offset_uses_beacon_time_mod_2_32() -> None:
    assert ping_offset(2**32 + 0xFF42, 0x004200FF, 4096) == 3994


# TTS ping_slot_test.go rejects ping periods 0, 31 and 4097.
@pytest.mark.parametrize("period", [0, 31, 33, 4097, 8192])
def test_ping_offset_rejects_invalid_periods(period: int) -> None:
    with pytest.raises(ValueError):
        ping_offset(0, 0, period)


def test_ping_offset_rejects_oversized_dev_addr() -> None:
    with pytest.raises(ValueError):
        ping_offset(0, 2**32, 32)


def test_beacon_start_is_gps_aligned() -> None:
    assert beacon_start_at(gps_to_unix(300 * S + 5)) == gps_to_unix(256 * S)
    assert beacon_start_at(gps_to_unix(256 * S)) == gps_to_unix(256 * S)
    assert beacon_start_at(gps_to_unix(256 * S) - 1) == gps_to_unix(128 * S)
    start = beacon_start_at(1_700_000_000 * S)
    assert unix_to_gps(start) % BEACON_PERIOD == 0
    assert start <= 1_700_000_000 * S < start + BEACON_PERIOD
    assert unix_to_gps(start) == 1_384_035_200 * S  # 10_812_775 * 128 s
    assert beacon_time(start) == 1_384_035_200


# §2 ChirpStack classb.rs test_get_next_ping_slot_after, DevAddr 0, GPS-relative times.
@pytest.mark.parametrize(
    ("after_gps", "periodicity", "slot_gps"),
    [
        (0, 7, 74_300 * MS),  # pingNb 1, offset 2406 -> 1m14.300s
        (120 * S, 7, 185_620 * MS),  # pingNb 1, next period offset 1850 -> 3m05.620s
        (0, 6, 12_860 * MS),  # pingNb 2, offset 358 -> 12.860 s
        (13 * S, 6, 74_300 * MS),  # pingNb 2, after 13 s -> 358 + 2048 -> 74.300 s
        (124 * S, 0, 124_220 * MS),  # pingNb 128, offset 6, slot n = 127 -> 2m04.220s
    ],
)
def test_chirpstack_ping_slots(after_gps: int, periodicity: int, slot_gps: int) -> None:
    assert ping_slot_at(gps_to_unix(after_gps), 0, periodicity) == gps_to_unix(slot_gps)


def test_slot_time_formula() -> None:
    # t = beaconStart + 2.120 s + (PingOffset + N * pingPeriod) * 30 ms, TS001-1.0.4 Table 60.
    slots = ping_slots_in_period(gps_to_unix(0), 0, 6)
    assert slots == (gps_to_unix(2_120 * MS + 358 * 30 * MS), gps_to_unix(74_300 * MS))
    all_slots = ping_slots_in_period(gps_to_unix(0), 0, 0)
    assert len(all_slots) == 128
    assert all_slots[0] == gps_to_unix(2_120 * MS + 6 * 30 * MS)
    assert {b - a for a, b in pairwise(all_slots)} == {960 * MS}


def test_slot_exactly_at_after_counts() -> None:
    slot = gps_to_unix(74_300 * MS)
    assert ping_slot_at(slot, 0, 7) == slot
    # ChirpStack wants a slot strictly after: ask from one µs later.
    assert ping_slot_at(slot + 1, 0, 7) == gps_to_unix(185_620 * MS)


def test_after_the_last_slot_moves_to_next_period() -> None:
    # pingNb 128: the period's last slot (n = 127) starts at 124.220 s for DevAddr 0.
    assert ping_slot_at(gps_to_unix(124_221 * MS), 0, 0) > gps_to_unix(128 * S)
    next_offset = ping_offset(128, 0, 32)
    expected = gps_to_unix(128 * S + 2_120 * MS + next_offset * 30 * MS)
    assert ping_slot_at(gps_to_unix(124_221 * MS), 0, 0) == expected


def test_beacon_delay_shifts_slots() -> None:
    delay = T_BEACON_DELAY_SPEC
    assert ping_slot_at(gps_to_unix(0), 0, 7, delay) == gps_to_unix(74_300 * MS + delay)
    with pytest.raises(ValueError):
        ping_slot_at(gps_to_unix(0), 0, 7, BEACON_GUARD + 1)


def test_ping_slots_use_the_period_beacon_time() -> None:
    # A modern period: offsets come from its GPS BeaconTime, not from 0.
    start = gps_to_unix(1_384_035_200 * S)
    offset = ping_offset(1_384_035_200, 0x26011234, 4096)
    assert ping_slots_in_period(start, 0x26011234, 7) == (
        start + BEACON_RESERVED + offset * PING_SLOT_LENGTH,
    )
