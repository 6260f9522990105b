"""Radio metadata for simulated uplinks: which gateways heard them, how loud, when.

Generated from the world's seed (faker for gateway identities and places, a seeded random
source for signal figures), so the same world and the same uplinks give the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from faker import Faker

from mockserver.types import Micros

_FAKER: Faker | None = None


def _faker() -> Faker:
    """One Faker per process (building one takes tens of milliseconds); callers reseed it."""
    global _FAKER
    if _FAKER is None:
        _FAKER = Faker()
    return _FAKER


@dataclass(frozen=True, slots=True)
class Gateway:
    gateway_id: str
    eui: str
    latitude: float
    longitude: float
    altitude: int


@dataclass(frozen=True, slots=True)
class Reception:
    """One gateway's reception of one uplink."""

    gateway: Gateway
    rssi: int
    snr: float
    channel_index: int
    timestamp: int  # the gateway's free-running microsecond counter (uint32)
    received_at: Micros


class RadioEnvironment:
    """The gateways of a world and the receptions they report."""

    def __init__(self, seed: int, gateways: int = 2) -> None:
        fake = _faker()
        fake.seed_instance(seed)
        self._random = random.Random(seed)
        # One town (from faker's list of real places), gateways within a few kilometres of it.
        latitude, longitude = (float(v) for v in fake.local_latlng("NL", coords_only=True))
        self.gateways = tuple(
            Gateway(
                gateway_id=f"{fake.slug()[:28]}-gw{index}",
                eui=f"{fake.random_int(0, 2**64 - 1):016X}",
                latitude=round(latitude + self._random.uniform(-0.03, 0.03), 6),
                longitude=round(longitude + self._random.uniform(-0.05, 0.05), 6),
                altitude=fake.random_int(0, 120),
            )
            for index in range(gateways)
        )
        self._counter_offsets = [self._random.getrandbits(32) for _ in self.gateways]

    def receptions(self, received_at: Micros, channel_index: int) -> tuple[Reception, ...]:
        """Who heard an uplink ending at `received_at`; at least one gateway always does."""
        heard = [0] + [i for i in range(1, len(self.gateways)) if self._random.random() < 0.6]
        return tuple(
            Reception(
                gateway=self.gateways[index],
                rssi=self._random.randint(-120, -40),
                snr=round(self._random.uniform(-12.0, 10.0), 1),
                channel_index=channel_index,
                timestamp=(self._counter_offsets[index] + received_at) % 2**32,
                received_at=received_at,
            )
            for index in heard
        )
