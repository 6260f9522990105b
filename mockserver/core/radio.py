"""Radio metadata for simulated uplinks: which gateways heard them, how loud, when.

Generated from the world's seed (faker for gateway identities and places, a seeded random
source for signal figures), so the same world and the same uplinks give the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.types import Micros

if TYPE_CHECKING:
    from faker import Faker

    from mockserver.core.uplinks import Uplink

_FAKER: Faker | None = None


def _faker() -> Faker:
    """One Faker per process, made when a world's gateways are first needed (importing and
    building one takes a quarter of a second: every locale's providers); callers reseed it."""
    global _FAKER
    if _FAKER is None:
        from faker import Faker

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
    """The gateways of a world and the receptions they report.

    The gateways are drawn when first read (an uplink's metadata, a ThingPark report), not
    when the world is built: a server start or a test's reset that sends no uplink skips
    faker. They depend on the seed alone, so they are the same bytes whenever drawn."""

    def __init__(self, seed: int, gateways: int = 2) -> None:
        self.seed = seed
        self._gateway_count = gateways
        self._drawn: tuple[tuple[Gateway, ...], list[int]] | None = None

    @property
    def gateways(self) -> tuple[Gateway, ...]:
        return self._draw()[0]

    @property
    def _counter_offsets(self) -> list[int]:
        return self._draw()[1]

    def _draw(self) -> tuple[tuple[Gateway, ...], list[int]]:
        if self._drawn is None:
            self._drawn = self._draw_gateways(self.seed, self._gateway_count)
        return self._drawn

    @staticmethod
    def _draw_gateways(seed: int, gateways: int) -> tuple[tuple[Gateway, ...], list[int]]:
        fake = _faker()
        fake.seed_instance(seed)
        draw = random.Random(seed)
        # One town (from faker's list of real places), gateways within a few kilometres of it.
        place = fake.local_latlng("NL", coords_only=True)
        assert place is not None  # None only for a country faker has no places for
        latitude, longitude = (float(v) for v in place)
        drawn = tuple(
            Gateway(
                gateway_id=f"{fake.slug()[:28]}-gw{index}",
                eui=f"{fake.random_int(0, 2**64 - 1):016X}",
                latitude=round(latitude + draw.uniform(-0.03, 0.03), 6),
                longitude=round(longitude + draw.uniform(-0.05, 0.05), 6),
                altitude=fake.random_int(0, 120),
            )
            for index in range(gateways)
        )
        return drawn, [draw.getrandbits(32) for _ in drawn]

    def receptions(self, device_id: str, uplink: Uplink) -> tuple[Reception, ...]:
        """Who heard an uplink; at least one gateway always does.

        Drawn from a source seeded by the world's seed and the uplink itself, so metadata is
        made only when someone reads it (an outbound message) and is still the same bytes
        for the same world and uplinks, whoever asks first.
        """
        draw = random.Random(f"{self.seed}:{device_id}:{uplink.f_cnt}:{uplink.received_at}")
        heard = [0] + [i for i in range(1, len(self.gateways)) if draw.random() < 0.6]
        return tuple(
            Reception(
                gateway=self.gateways[index],
                rssi=draw.randint(-120, -40),
                snr=round(draw.uniform(-12.0, 10.0), 1),
                channel_index=0,
                timestamp=(self._counter_offsets[index] + uplink.received_at) % 2**32,
                received_at=uplink.received_at,
            )
            for index in heard
        )
