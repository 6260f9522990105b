"""Class B beacon periods and ping slots (TS001-1.0.4 §11-§13).

A Class B downlink can only leave in one of the device's ping slots, so the mock needs the same
slot times the network servers compute. Beacon periods are aligned on the GPS epoch, so this
module also converts between Unix and GPS time.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from mockserver.lorawan.airtime import SECOND, Micros

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

BEACON_PERIOD: Micros = 128 * SECOND
BEACON_RESERVED: Micros = 2_120_000
BEACON_GUARD: Micros = 3 * SECOND
BEACON_WINDOW: Micros = 122_880_000
PING_SLOT_LENGTH: Micros = 30_000
PING_SLOT_COUNT = 4096
DEFAULT_PING_SLOT_PERIODICITY = 7
CLASS_B_RESP_TIMEOUT: Micros = 8 * SECOND

# TS001-1.0.4 p.70 says beacons go out 1.5 ms after the period start; ChirpStack ignores this
# (0) and TTS uses 1.5 µs, so ping_slot_at takes the delay as a parameter defaulting to 0.
T_BEACON_DELAY_SPEC: Micros = 1_500

GPS_EPOCH_UNIX_S = 315_964_800  # 1980-01-06T00:00:00Z
# GPS time does not stop for leap seconds. GPS-UTC has been 18 s since 2017-01-01; a constant is
# enough for a simulator of present-day traffic, but instants before 2017 convert off by the
# leap seconds added since.
GPS_UTC_LEAP_SECONDS = 18
_GPS_MINUS_UNIX: Micros = (GPS_UTC_LEAP_SECONDS - GPS_EPOCH_UNIX_S) * SECOND


def unix_to_gps(t: Micros) -> Micros:
    """GPS time of a Unix instant."""
    return t + _GPS_MINUS_UNIX


def gps_to_unix(t: Micros) -> Micros:
    """Unix time of a GPS instant."""
    return t - _GPS_MINUS_UNIX


def _check_periodicity(periodicity: int) -> None:
    if not 0 <= periodicity <= 7:
        raise ValueError(f"ping-slot periodicity {periodicity} outside 0..7")


def ping_nb(periodicity: int) -> int:
    """Ping slots per beacon period: 2^(7-P)."""
    _check_periodicity(periodicity)
    return 128 >> periodicity


def ping_period(periodicity: int) -> int:
    """Slots between two ping slots of the same device: 2^(5+P)."""
    _check_periodicity(periodicity)
    return PING_SLOT_COUNT // ping_nb(periodicity)


@functools.cache
def _zero_key_aes() -> Cipher[modes.ECB]:
    """AES-128 with the all-zero key, ECB: made (and cryptography imported) by the first ping
    slot computed, not by importing the server (issue 21, start-up)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(bytes(16)), modes.ECB())


def ping_offset(beacon_time_gps_s: int, dev_addr: int, ping_period: int) -> int:
    """Pseudo-random first slot of the period, so devices sharing a periodicity spread out.

    Rand = AES128(key 0, BeaconTime 4B LE | DevAddr 4B LE | 8 zero bytes);
    offset = (Rand[0] + 256 * Rand[1]) mod pingPeriod (TS001-1.0.4 §11.2).
    """
    if ping_period not in {PING_SLOT_COUNT >> k for k in range(8)}:
        raise ValueError(f"ping period {ping_period} is not a power of two in 32..4096")
    if not 0 <= dev_addr < 2**32:
        raise ValueError(f"DevAddr {dev_addr:#x} does not fit 32 bits")
    block = (beacon_time_gps_s % 2**32).to_bytes(4, "little") + dev_addr.to_bytes(4, "little")
    encryptor = _zero_key_aes().encryptor()
    rand = encryptor.update(block + bytes(8)) + encryptor.finalize()
    return (rand[0] + 256 * rand[1]) % ping_period


def beacon_start_at(t: Micros) -> Micros:
    """Unix start of the beacon period containing Unix instant ``t``."""
    gps = unix_to_gps(t)
    return gps_to_unix(gps - gps % BEACON_PERIOD)


def beacon_time(beacon_start: Micros) -> int:
    """BeaconTime field (GPS seconds) of the period starting at Unix ``beacon_start``."""
    return unix_to_gps(beacon_start) // SECOND


def ping_slots_in_period(
    beacon_start: Micros, dev_addr: int, periodicity: int, beacon_delay: Micros = 0
) -> tuple[Micros, ...]:
    """Unix start of every ping slot the device opens in the period starting at beacon_start."""
    period = ping_period(periodicity)
    offset = ping_offset(beacon_time(beacon_start), dev_addr, period)
    first = beacon_start + beacon_delay + BEACON_RESERVED
    return tuple(
        first + (offset + n * period) * PING_SLOT_LENGTH for n in range(ping_nb(periodicity))
    )


def ping_slot_at(
    after: Micros, dev_addr: int, periodicity: int, beacon_delay: Micros = 0
) -> Micros:
    """First ping slot starting at or after Unix ``after`` (like TTS NextPingSlotAt).

    ChirpStack asks for a slot strictly after; callers wanting that pass ``after + 1``.
    Every period holds at least one slot, so the current and the next period suffice as long
    as the beacon delay stays within the guard time (the spec's is 1.5 ms).
    """
    if not 0 <= beacon_delay <= BEACON_GUARD:
        raise ValueError(f"beacon delay {beacon_delay} µs outside 0..{BEACON_GUARD}")
    start = beacon_start_at(after)
    for period_start in (start, start + BEACON_PERIOD):
        for slot in ping_slots_in_period(period_start, dev_addr, periodicity, beacon_delay):
            if slot >= after:
                return slot
    raise AssertionError("unreachable: the next beacon period always has a ping slot")
