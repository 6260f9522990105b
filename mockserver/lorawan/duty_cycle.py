"""EU868 duty-cycle accounting over a sliding one-hour window.

A gateway that has spent its sub-band's share of the hour cannot send the downlink, so the mock
must delay or refuse it like TTS's gateway server does (pkg/gatewayserver/scheduling/sub_band.go,
DutyCycleWindow = 1 h). Bands without sub-bands (US915) have no duty cycle and never block.

A transmission fits when neither the hour ending at its end nor the hour starting at its start
would hold more airtime than the sub-band allows, counting the transmission itself: the two
windows TTS checks. Unlike TTS, airtime straddling a window edge counts only in part. When the
recorded transmissions do not overlap and all end before the candidate starts, this is the
same as requiring every one-hour window to stay within the limit. TTS's per-priority ceilings
(e.g. 70 % of the limit for NORMAL) are not applied; the full limit is.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import floor

from mockserver.lorawan.airtime import SECOND, Micros
from mockserver.lorawan.regions import EU868, Band, SubBand

DUTY_CYCLE_WINDOW: Micros = 3600 * SECOND


def sub_band_for(frequency_hz: int, band: Band = EU868) -> SubBand | None:
    """Sub-band whose duty cycle a transmission on this frequency spends, if any."""
    return band.sub_band(frequency_hz)


@dataclass(frozen=True)
class Emission:
    start: Micros
    airtime: Micros

    @property
    def end(self) -> Micros:
        return self.start + self.airtime


def _airtime_within(emissions: Sequence[Emission], lo: Micros, hi: Micros) -> Micros:
    return sum(max(0, min(e.end, hi) - max(e.start, lo)) for e in emissions)


class DutyCycleTracker:
    """Airtime spent per sub-band by one transmitter (a gateway, or a device).

    The only stateful object in ``mockserver.lorawan``; whoever creates it owns it. Times are
    expected to move forward: a query at ``now`` forgets transmissions that ended a full window
    before it, so a later query further in the past would undercount.
    """

    def __init__(self, band: Band = EU868, window: Micros = DUTY_CYCLE_WINDOW) -> None:
        self.band = band
        self.window = window
        self._emissions: dict[SubBand | None, list[Emission]] = {}

    def _sub_band(self, frequency_hz: int) -> SubBand | None:
        """None when the band has no duty cycle at all; unknown EU frequencies are refused
        because TTS refuses to schedule on them (errSubBandNotFound)."""
        if not self.band.sub_bands:
            return None
        sub_band = self.band.sub_band(frequency_hz)
        if sub_band is None:
            raise ValueError(f"{frequency_hz} Hz is in no {self.band.name} sub-band")
        return sub_band

    def _relevant(self, sub_band: SubBand | None, now: Micros) -> list[Emission]:
        kept = [e for e in self._emissions.get(sub_band, []) if e.end > now - self.window]
        self._emissions[sub_band] = kept
        return kept

    def budget(self, frequency_hz: int) -> Micros | None:
        """Airtime allowed per window on this frequency; None when unlimited."""
        sub_band = self._sub_band(frequency_hz)
        if sub_band is None:
            return None
        return floor(self.window * sub_band.duty_cycle)

    def record(self, frequency_hz: int, start: Micros, airtime: Micros) -> None:
        """Account a transmission, whether or not it fitted: it happened."""
        if airtime < 0:
            raise ValueError(f"negative airtime {airtime}")
        sub_band = self._sub_band(frequency_hz)
        self._emissions.setdefault(sub_band, []).append(Emission(start, airtime))

    def used(self, frequency_hz: int, now: Micros) -> Micros:
        """Airtime spent in the sub-band during the hour before ``now``."""
        sub_band = self._sub_band(frequency_hz)
        return _airtime_within(self._relevant(sub_band, now), now - self.window, now)

    def available_at(self, frequency_hz: int, now: Micros, airtime: Micros) -> Micros:
        """Earliest start at or after ``now`` for a transmission of ``airtime`` to fit."""
        budget = self.budget(frequency_hz)
        if budget is None:
            return now
        if not 0 <= airtime <= budget:
            raise ValueError(f"airtime {airtime} µs can never fit a budget of {budget} µs")
        emissions = self._relevant(self._sub_band(frequency_hz), now)
        window = self.window

        def excess(t: Micros) -> tuple[Micros, Micros]:
            return (
                _airtime_within(emissions, t + airtime - window, t + airtime) + airtime - budget,
                _airtime_within(emissions, t, t + window) + airtime - budget,
            )

        # Both excesses are piecewise linear in t and bend only where a window edge meets a
        # recorded start or end; past the last bend nothing recorded is in reach any more.
        bends = sorted(
            {
                b
                for e in emissions
                for v in (e.start, e.end)
                for b in (v + window - airtime, v - airtime, v, v - window)
                if b > now
            }
        )
        for lo, hi in zip([now, *bends], [*bends, None], strict=True):
            t = _earliest_within(excess, lo, hi)
            if t is not None:
                return t
        raise AssertionError("unreachable: the last piece is free")


def _earliest_within(
    excess: Callable[[Micros], tuple[Micros, ...]], lo: Micros, hi: Micros | None
) -> Micros | None:
    """Earliest t in [lo, hi) with every excess <= 0, given each is linear on [lo, hi]."""
    at_lo = excess(lo)
    if all(x <= 0 for x in at_lo):
        return lo
    earliest, latest = lo, None if hi is None else hi - 1
    for value, after in zip(at_lo, excess(lo + 1), strict=True):
        slope = after - value
        if value > 0 and slope >= 0:
            return None
        if value > 0:
            earliest = max(earliest, lo + -(-value // -slope))  # ceil(value / -slope)
        elif slope > 0:
            bound = lo + -value // slope
            latest = bound if latest is None else min(latest, bound)
    return earliest if latest is None or earliest <= latest else None
