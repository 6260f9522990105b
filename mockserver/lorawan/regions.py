"""EU868 and US915 regional parameters, as far as downlink scheduling needs them.

The mock decides whether a pushed payload fits, in which window and on which frequency it
leaves, from these tables. Values follow RP002-1.0.4 as TTS, ChirpStack and LoRaMac-node
implement it (research notes §5); M/N are the not-repeater-compatible tables those servers use.
LR-FHSS data rates (EU868 DR8-11, US915 DR5-6) are left out: the mock never schedules them.
"""

from dataclasses import dataclass, replace
from fractions import Fraction
from types import MappingProxyType

from mockserver.lorawan.airtime import SECOND, Micros, fsk_time_on_air, time_on_air
from mockserver.lorawan.class_b import BEACON_PERIOD


@dataclass(frozen=True)
class LoRa:
    spreading_factor: int
    bandwidth_hz: int
    coding_rate: int = 1  # 4/5, the only rate LoRaWAN uses


@dataclass(frozen=True)
class FSK:
    bitrate_bps: int


@dataclass(frozen=True)
class DataRate:
    index: int
    modulation: LoRa | FSK
    max_mac_payload: int  # M
    max_frm_payload: int  # N = M - 8 (FHDR 7 with empty FOpts, FPort 1)
    uplink: bool = True
    downlink: bool = True

    def time_on_air(self, phy_payload_size: int, *, crc: bool = True) -> Micros:
        """Airtime at this rate; ``crc`` as in :func:`airtime.time_on_air` (FSK always has one)."""
        m = self.modulation
        if isinstance(m, FSK):
            return fsk_time_on_air(phy_payload_size, m.bitrate_bps)
        return time_on_air(
            phy_payload_size, m.spreading_factor, m.bandwidth_hz, m.coding_rate, crc=crc
        )


@dataclass(frozen=True)
class SubBand:
    """A regulatory sub-band; a gateway may transmit ``duty_cycle`` of any hour in it."""

    name: str
    min_frequency_hz: int
    max_frequency_hz: int
    duty_cycle: Fraction

    def comprises(self, frequency_hz: int) -> bool:
        # Both edges inclusive, as TTS SubBandParameters.Comprises.
        return self.min_frequency_hz <= frequency_hz <= self.max_frequency_hz


@dataclass(frozen=True)
class ChannelGrid:
    """Evenly spaced channels; numbering runs on across grids, as US915 channels 0-63, 64-71."""

    first_frequency_hz: int
    step_hz: int
    count: int

    def index_of(self, frequency_hz: int) -> int | None:
        n, rest = divmod(frequency_hz - self.first_frequency_hz, self.step_hz)
        return n if rest == 0 and 0 <= n < self.count else None


@dataclass(frozen=True)
class Band:
    band_id: str  # TTS band ID
    name: str
    min_frequency_hz: int
    max_frequency_hz: int
    data_rates: tuple[DataRate, ...]
    rx1_data_rate_table: tuple[tuple[int, ...], ...]  # [uplink DR][RX1DROffset]
    rx2_frequency_hz: int
    rx2_data_rate: int
    beacon_data_rate: int
    beacon_frequencies_hz: tuple[int, ...]  # hopped by beacon period when more than one
    ping_slot_data_rate: int
    ping_slot_frequencies_hz: tuple[int, ...]
    uplink_channels: tuple[ChannelGrid, ...] = ()
    downlink_channels_hz: tuple[int, ...] = ()  # empty: RX1 on the uplink frequency
    sub_bands: tuple[SubBand, ...] = ()
    receive_delay1: Micros = 1 * SECOND
    receive_delay2: Micros = 2 * SECOND  # always RX1 + 1 s
    join_accept_delay1: Micros = 5 * SECOND
    join_accept_delay2: Micros = 6 * SECOND
    #: What a simulated uplink uses when the caller does not say (EU868 SF7 on 868.1 MHz).
    default_uplink_data_rate: int = 5
    default_uplink_frequency_hz: int = 868_100_000

    def __post_init__(self) -> None:
        # By index, for data_rate(): the scheduler asks several times per uplink.
        object.__setattr__(self, "_by_index", {dr.index: dr for dr in self.data_rates})

    def data_rate(self, index: int) -> DataRate:
        found: DataRate | None = self._by_index.get(index)  # type: ignore[attr-defined]
        if found is None:
            raise ValueError(f"{self.name} has no DR{index}")
        return found

    def max_mac_payload(self, data_rate: int) -> int:
        return self.data_rate(data_rate).max_mac_payload

    def max_frm_payload(self, data_rate: int) -> int:
        return self.data_rate(data_rate).max_frm_payload

    @property
    def max_frm_payload_any_dr(self) -> int:
        """Largest app payload any downlink DR can carry: the only bound known at push time."""
        return max(dr.max_frm_payload for dr in self.data_rates if dr.downlink)

    def rx1_data_rate(self, uplink_dr: int, offset: int) -> int:
        if not 0 <= uplink_dr < len(self.rx1_data_rate_table):
            raise ValueError(f"{self.name} has no RX1 data rate for uplink DR{uplink_dr}")
        row = self.rx1_data_rate_table[uplink_dr]
        if not 0 <= offset < len(row):
            raise ValueError(f"RX1DROffset {offset} outside 0..{len(row) - 1} in {self.name}")
        return row[offset]

    def _check_frequency(self, frequency_hz: int) -> None:
        if not self.min_frequency_hz <= frequency_hz <= self.max_frequency_hz:
            raise ValueError(f"{frequency_hz} Hz is outside {self.name}")

    def rx1_frequency(self, uplink_frequency_hz: int) -> int:
        self._check_frequency(uplink_frequency_hz)
        if not self.downlink_channels_hz:
            return uplink_frequency_hz
        base = 0
        for grid in self.uplink_channels:
            n = grid.index_of(uplink_frequency_hz)
            if n is not None:
                channel = base + n
                return self.downlink_channels_hz[channel % len(self.downlink_channels_hz)]
            base += grid.count
        raise ValueError(f"{uplink_frequency_hz} Hz is not a {self.name} uplink channel")

    def beacon_frequency(self, beacon_time_gps_s: int) -> int:
        hop = beacon_time_gps_s // (BEACON_PERIOD // SECOND)
        return self.beacon_frequencies_hz[hop % len(self.beacon_frequencies_hz)]

    def ping_slot_frequency(self, dev_addr: int, beacon_time_gps_s: int) -> int:
        hop = dev_addr + beacon_time_gps_s // (BEACON_PERIOD // SECOND)
        return self.ping_slot_frequencies_hz[hop % len(self.ping_slot_frequencies_hz)]

    def sub_band(self, frequency_hz: int) -> SubBand | None:
        """First sub-band comprising the frequency (TTS order decides shared edges)."""
        return next((sb for sb in self.sub_bands if sb.comprises(frequency_hz)), None)


def _lora(
    index: int, sf: int, bw_khz: int, m: int, *, up: bool = True, down: bool = True
) -> DataRate:
    return DataRate(index, LoRa(sf, bw_khz * 1000), m, m - 8, uplink=up, downlink=down)


EU868_RX2_FREQUENCY_HZ = 869_525_000

EU868 = Band(
    band_id="EU_863_870",
    name="EU868",
    min_frequency_hz=863_000_000,
    max_frequency_hz=870_000_000,
    data_rates=(
        _lora(0, 12, 125, 59),
        _lora(1, 11, 125, 59),
        _lora(2, 10, 125, 59),
        _lora(3, 9, 125, 123),
        _lora(4, 8, 125, 250),
        _lora(5, 7, 125, 250),
        _lora(6, 7, 250, 250),
        DataRate(7, FSK(50_000), 250, 242),
    ),
    rx1_data_rate_table=tuple(tuple(max(0, dr - offset) for offset in range(6)) for dr in range(8)),
    rx2_frequency_hz=EU868_RX2_FREQUENCY_HZ,
    rx2_data_rate=0,
    beacon_data_rate=3,
    beacon_frequencies_hz=(EU868_RX2_FREQUENCY_HZ,),
    ping_slot_data_rate=3,
    ping_slot_frequencies_hz=(EU868_RX2_FREQUENCY_HZ,),
    sub_bands=(
        SubBand("K", 863_000_000, 865_000_000, Fraction(1, 1000)),
        SubBand("L", 865_000_000, 868_000_000, Fraction(1, 100)),
        SubBand("M", 868_000_000, 868_600_000, Fraction(1, 100)),
        SubBand("N", 868_700_000, 869_200_000, Fraction(1, 1000)),
        SubBand("P", 869_400_000, 869_650_000, Fraction(1, 10)),
        SubBand("Q", 869_700_000, 870_000_000, Fraction(1, 100)),
    ),
)

# TTN community network frequency plan: RX2 on SF9 (DR3) instead of DR0.
EU868_TTN = replace(EU868, band_id="EU_863_870_TTN", rx2_data_rate=3)

US915_DOWNLINK_CHANNELS_HZ = tuple(923_300_000 + 600_000 * n for n in range(8))

US915 = Band(
    band_id="US_902_928",
    name="US915",
    min_frequency_hz=902_000_000,
    max_frequency_hz=928_000_000,
    data_rates=(
        _lora(0, 10, 125, 19, down=False),
        _lora(1, 9, 125, 61, down=False),
        _lora(2, 8, 125, 133, down=False),
        _lora(3, 7, 125, 250, down=False),
        _lora(4, 8, 500, 250, down=False),
        _lora(8, 12, 500, 61, up=False),
        _lora(9, 11, 500, 137, up=False),
        _lora(10, 10, 500, 250, up=False),
        _lora(11, 9, 500, 250, up=False),
        _lora(12, 8, 500, 250, up=False),
        _lora(13, 7, 500, 250, up=False),
    ),
    rx1_data_rate_table=(
        (10, 9, 8, 8),
        (11, 10, 9, 8),
        (12, 11, 10, 9),
        (13, 12, 11, 10),
        (13, 13, 12, 11),
    ),
    rx2_frequency_hz=923_300_000,
    rx2_data_rate=8,
    beacon_data_rate=8,
    beacon_frequencies_hz=US915_DOWNLINK_CHANNELS_HZ,
    ping_slot_data_rate=8,
    ping_slot_frequencies_hz=US915_DOWNLINK_CHANNELS_HZ,
    uplink_channels=(
        ChannelGrid(902_300_000, 200_000, 64),
        ChannelGrid(903_000_000, 1_600_000, 8),
    ),
    downlink_channels_hz=US915_DOWNLINK_CHANNELS_HZ,
    default_uplink_data_rate=3,
    default_uplink_frequency_hz=903_900_000,  # TTN's sub-band 2, channel 8
)

_BANDS = MappingProxyType(
    {
        "EU868": EU868,
        "EU_863_870": EU868,
        "EU868_TTN": EU868_TTN,
        "EU_863_870_TTN": EU868_TTN,
        "US915": US915,
        "US_902_928": US915,
    }
)


#: band() by the name exactly as given: the scheduler asks for a device's band several
#: times per uplink, and devices spell it the same way. Bounded: a few spellings at most.
_BY_SPELLING: dict[str, Band] = {}


def band(name: str) -> Band:
    """Band by common name or TTS band ID, case-insensitively."""
    found = _BY_SPELLING.get(name)
    if found is not None:
        return found
    try:
        found = _BANDS[name.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown band {name!r}; known: {', '.join(_BANDS)}") from None
    if len(_BY_SPELLING) < 64:
        _BY_SPELLING[name] = found
    return found
