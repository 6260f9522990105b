"""Time on air of LoRaWAN frames, exact to the microsecond.

Network servers report airtime and gateways spend duty-cycle budget by it, so the mock must
compute it the same way they do: the Semtech formula (SX127x datasheet §4.1.1.7, AN1200.13)
evaluated with exact rationals, never floats, so that equal inputs always give equal integers.

Time everywhere in ``mockserver.lorawan`` is an integer number of microseconds (:data:`Micros`).
"""

from fractions import Fraction
from math import ceil
from typing import TypeAlias

Micros: TypeAlias = int
"""Integer microseconds; absolute instants count from the Unix epoch."""

SECOND: Micros = 1_000_000

# LoRa modem: the symbol duration from which the datasheet mandates low-data-rate optimisation.
LDRO_SYMBOL_THRESHOLD: Micros = 16_000
LORAWAN_PREAMBLE_SYMBOLS = 8
_MAX_PHY_SIZE = 255  # the LoRa length field is one byte

# LoRaWAN frame layout (LoRaWAN 1.0.3 §4, TS001-1.0.4 §4.3).
MHDR_SIZE = 1
FHDR_SIZE = 7  # DevAddr 4, FCtrl 1, FCnt 2, FOpts excluded
FPORT_SIZE = 1
MIC_SIZE = 4
MAX_FOPTS_SIZE = 15
JOIN_REQUEST_SIZE = 23
JOIN_ACCEPT_SIZE = 17
JOIN_ACCEPT_WITH_CFLIST_SIZE = 33

# EU868 DR7 FSK frame as TTS pkg/toa computeFSK assumes it:
# preamble 5 B | sync word 3 B | length 1 B | PHYPayload | CRC 2 B, all sent at the bit rate.
FSK_PREAMBLE_SIZE = 5
FSK_SYNC_WORD_SIZE = 3
FSK_LENGTH_SIZE = 1
FSK_CRC_SIZE = 2
FSK_OVERHEAD_SIZE = FSK_PREAMBLE_SIZE + FSK_SYNC_WORD_SIZE + FSK_LENGTH_SIZE + FSK_CRC_SIZE


def symbol_duration(spreading_factor: int, bandwidth_hz: int) -> Fraction:
    """Tsym = 2^SF / BW in µs, as a fraction because odd bandwidths do not divide evenly."""
    return Fraction(2**spreading_factor * SECOND, bandwidth_hz)


def payload_symbols(
    payload_size: int,
    spreading_factor: int,
    coding_rate: int = 1,
    *,
    crc: bool = True,
    explicit_header: bool = True,
    low_data_rate_optimize: bool,
) -> int:
    """Symbols after the preamble; exposed because sources quote vectors in symbols."""
    numerator = 8 * payload_size - 4 * spreading_factor + 28 + 16 * crc - 20 * (not explicit_header)
    denominator = 4 * (spreading_factor - 2 * low_data_rate_optimize)
    blocks = max(-(-numerator // denominator), 0)  # integer ceil keeps the count exact
    return 8 + blocks * (coding_rate + 4)


def time_on_air(
    payload_size: int,
    spreading_factor: int,
    bandwidth_hz: int,
    coding_rate: int = 1,
    *,
    crc: bool = True,
    explicit_header: bool = True,
    preamble_symbols: int = LORAWAN_PREAMBLE_SYMBOLS,
    low_data_rate_optimize: bool | None = None,
) -> Micros:
    """LoRa time on air of a PHYPayload of ``payload_size`` bytes.

    ``crc`` defaults to on even for downlinks, where the spec sends no payload CRC, because
    TTS (pkg/toa) and ChirpStack/brocaar (airtime) always count it and the mock must report the
    airtime they report; pass ``crc=False`` for the spec-exact downlink. ``coding_rate`` is
    1..4 for 4/5..4/8. Low-data-rate optimisation follows the datasheet (symbol >= 16 ms)
    unless forced. A fractional result is rounded up so airtime is never underestimated.
    """
    if not 0 <= payload_size <= _MAX_PHY_SIZE:
        raise ValueError(f"payload size {payload_size} outside 0..{_MAX_PHY_SIZE}")
    if not 7 <= spreading_factor <= 12:
        raise ValueError(f"spreading factor {spreading_factor} outside SF7..SF12")
    if bandwidth_hz <= 0:
        raise ValueError(f"bandwidth {bandwidth_hz} Hz must be positive")
    if not 1 <= coding_rate <= 4:
        raise ValueError(f"coding rate {coding_rate} outside 1..4 (4/5..4/8)")
    if preamble_symbols < 0:
        raise ValueError(f"preamble of {preamble_symbols} symbols")
    t_sym = symbol_duration(spreading_factor, bandwidth_hz)
    if low_data_rate_optimize is None:
        low_data_rate_optimize = t_sym >= LDRO_SYMBOL_THRESHOLD
    symbols = (
        preamble_symbols
        + Fraction(17, 4)  # 4.25 symbols of sync word and start-of-frame delimiter
        + payload_symbols(
            payload_size,
            spreading_factor,
            coding_rate,
            crc=crc,
            explicit_header=explicit_header,
            low_data_rate_optimize=low_data_rate_optimize,
        )
    )
    return ceil(symbols * t_sym)


def fsk_time_on_air(payload_size: int, bitrate_bps: int = 50_000) -> Micros:
    """FSK (EU868 DR7) time on air of a PHYPayload, using the frame layout noted above."""
    if not 0 <= payload_size <= _MAX_PHY_SIZE:
        raise ValueError(f"payload size {payload_size} outside 0..{_MAX_PHY_SIZE}")
    if bitrate_bps <= 0:
        raise ValueError(f"bit rate {bitrate_bps} bps must be positive")
    bits = 8 * (FSK_OVERHEAD_SIZE + payload_size)
    return ceil(Fraction(bits * SECOND, bitrate_bps))


def phy_payload_size(frm_payload_size: int, fopts_size: int = 0, *, has_fport: bool = True) -> int:
    """PHYPayload size of a data frame, the size that time on air and DR limits apply to.

    A frame with no FRMPayload may omit FPort (``has_fport=False``), e.g. a bare ACK or
    MAC commands in FOpts only; that is the 12-byte empty frame.
    """
    if frm_payload_size < 0:
        raise ValueError(f"FRMPayload size {frm_payload_size} is negative")
    if not 0 <= fopts_size <= MAX_FOPTS_SIZE:
        raise ValueError(f"FOpts size {fopts_size} outside 0..{MAX_FOPTS_SIZE}")
    if not has_fport and frm_payload_size:
        raise ValueError("a non-empty FRMPayload needs an FPort")
    return MHDR_SIZE + FHDR_SIZE + fopts_size + FPORT_SIZE * has_fport + frm_payload_size + MIC_SIZE
