"""Time on air; vectors from /work/shared/research/lorawan-timing.md §4 unless noted."""

import pytest

from mockserver.lorawan.airtime import (
    JOIN_ACCEPT_SIZE,
    JOIN_ACCEPT_WITH_CFLIST_SIZE,
    JOIN_REQUEST_SIZE,
    fsk_time_on_air,
    payload_symbols,
    phy_payload_size,
    symbol_duration,
    time_on_air,
)


# TTS pkg/toa/toa_test.go TestDifferentLoRaSFs: 10 bytes, CR 4/5, 125 kHz.
@pytest.mark.parametrize(
    ("sf", "expected"),
    [(7, 41_216), (8, 72_192), (9, 144_384), (10, 288_768), (11, 577_536), (12, 991_232)],
)
def test_tts_spreading_factors(sf: int, expected: int) -> None:
    assert time_on_air(10, sf, 125_000) == expected


# TTS toa_test TestDifferentLoRaBWs: 10 bytes, SF7.
@pytest.mark.parametrize(
    ("bandwidth_hz", "expected"), [(125_000, 41_216), (250_000, 20_608), (500_000, 10_304)]
)
def test_tts_bandwidths(bandwidth_hz: int, expected: int) -> None:
    assert time_on_air(10, 7, bandwidth_hz) == expected


# TTS toa_test TestDifferentLoRaCRs: 10 bytes, SF7/125, CR 4/5..4/8.
@pytest.mark.parametrize(
    ("coding_rate", "expected"), [(1, 41_216), (2, 45_312), (3, 49_408), (4, 53_504)]
)
def test_tts_coding_rates(coding_rate: int, expected: int) -> None:
    assert time_on_air(10, 7, 125_000, coding_rate) == expected


# TTS toa_test TestDifferentLoRaPayloadSizes: SF7/125.
@pytest.mark.parametrize(
    ("size", "expected"),
    [(13, 46_336), (14, 46_336), (15, 46_336)] + [(n, 51_456) for n in range(16, 20)],
)
def test_tts_payload_sizes(size: int, expected: int) -> None:
    assert time_on_air(size, 7, 125_000) == expected


# brocaar/lorawan airtime/airtime_test.go: 13 bytes SF12/125 with LDRO forced off (sic).
def test_brocaar_sf12_without_ldro() -> None:
    assert time_on_air(13, 12, 125_000, low_data_rate_optimize=False) == 1_155_072
    assert payload_symbols(13, 12, low_data_rate_optimize=False) == 23
    # The datasheet rule switches LDRO on at SF12/125, which here gives the same symbol count.
    assert time_on_air(13, 12, 125_000) == 1_155_072


# brocaar airtime_test TestCalculateLoRaPayloadSymbolNumber: 50 bytes SF12, LDRO on.
def test_brocaar_sf12_with_ldro() -> None:
    assert payload_symbols(50, 12, low_data_rate_optimize=True) == 58
    assert time_on_air(50, 12, 125_000, low_data_rate_optimize=True) == 2_301_952


# brocaar airtime_test (not in the research table): CR 4/6 and implicit header, 13 B SF12.
def test_brocaar_extra_symbol_counts() -> None:
    assert payload_symbols(13, 12, 2, low_data_rate_optimize=False) == 26
    assert payload_symbols(13, 12, explicit_header=False, low_data_rate_optimize=False) == 18


# brocaar airtime_test TestCalculateLoRaSymbolDuration / PreambleDuration (not in research).
def test_brocaar_symbol_and_preamble_durations() -> None:
    assert symbol_duration(12, 125_000) == 32_768
    assert symbol_duration(9, 125_000) == 4_096
    assert symbol_duration(9, 500_000) == 1_024
    assert (8 + 4.25) * symbol_duration(12, 125_000) == 401_408


# docs.rs/lora-modulation: 12 bytes SF9/125.
def test_lora_modulation_crate() -> None:
    assert time_on_air(12, 9, 125_000) == 144_384


# AN1200.13 spreadsheet: 13 bytes SF9/125, 28 payload symbols.
def test_an1200_13_spreadsheet() -> None:
    assert payload_symbols(13, 9, low_data_rate_optimize=False) == 28
    assert time_on_air(13, 9, 125_000) == 164_864


# Research §4 "computed" rows: CRC on (NS convention) / off (spec downlink).
@pytest.mark.parametrize(
    ("size", "sf", "crc", "expected"),
    [
        (13, 7, True, 46_336),
        (13, 7, False, 41_216),
        (51, 12, True, 2_465_792),
        (51, 12, False, 2_301_952),
        (JOIN_REQUEST_SIZE, 12, True, 1_482_752),
        (JOIN_REQUEST_SIZE, 7, True, 61_696),
        (JOIN_ACCEPT_SIZE, 12, False, 1_155_072),
        (JOIN_ACCEPT_WITH_CFLIST_SIZE, 12, False, 1_810_432),
    ],
)
def test_computed_vectors(size: int, sf: int, crc: bool, expected: int) -> None:
    assert time_on_air(size, sf, 125_000, crc=crc) == expected


# Research §4: LoRaMac-node rounds up to whole ms (SF7/13 B -> 47 ms, SF12/51 B -> 2466 ms).
@pytest.mark.parametrize(("size", "sf", "ms"), [(13, 7, 47), (51, 12, 2466)])
def test_loramac_node_rounds_up_to_ms(size: int, sf: int, ms: int) -> None:
    assert -(-time_on_air(size, sf, 125_000) // 1000) == ms


def test_ldro_follows_16_ms_symbol_rule() -> None:
    # SF12/250 has a 16.384 ms symbol: LDRO on by the datasheet (TTS only does SF11/12 @125).
    with_rule = time_on_air(51, 12, 250_000)
    assert with_rule == time_on_air(51, 12, 250_000, low_data_rate_optimize=True)
    assert with_rule != time_on_air(51, 12, 250_000, low_data_rate_optimize=False)
    # SF10/125 (8.192 ms) stays off.
    assert time_on_air(51, 10, 125_000) == time_on_air(
        51, 10, 125_000, low_data_rate_optimize=False
    )


def test_odd_bandwidth_rounds_up() -> None:
    # 40.25 symbols of 2^7/203125 Hz = 25 363.69 µs; rounded up, never down.
    assert time_on_air(10, 7, 203_125) == 25_364


# TTS toa_test TestFSK (not in the research table): 200 bytes at 50 kbps.
def test_tts_fsk() -> None:
    assert fsk_time_on_air(200) == 33_760


def test_fsk_frame_layout() -> None:
    # 5 preamble + 3 sync + 1 length + 2 CRC = 11 overhead bytes at 160 µs per byte.
    assert fsk_time_on_air(0) == 1_760
    assert fsk_time_on_air(12) == 23 * 160


@pytest.mark.parametrize(
    "kwargs",
    [
        {"payload_size": 256},
        {"payload_size": -1},
        {"spreading_factor": 6},
        {"spreading_factor": 13},
        {"bandwidth_hz": 0},
        {"coding_rate": 0},
        {"coding_rate": 5},
        {"preamble_symbols": -1},
    ],
)
def test_time_on_air_rejects_impossible_settings(kwargs: dict[str, int]) -> None:
    args = {"payload_size": 10, "spreading_factor": 7, "bandwidth_hz": 125_000} | kwargs
    with pytest.raises(ValueError):
        time_on_air(**args)


# Research §4 "Frame sizes": empty data frame 12 B, N = M - 8, FPort 1, MIC 4.
@pytest.mark.parametrize(
    ("frm", "fopts", "has_fport", "expected"),
    [
        (0, 0, False, 12),
        (0, 0, True, 13),
        (0, 15, False, 27),
        (51, 0, True, 64),  # EU868 DR0: N 51 -> M 59 -> PHY 64
        (242, 0, True, 255),  # N 242 -> M 250 -> PHY 255, the LoRa maximum
        (10, 3, True, 26),
    ],
)
def test_phy_payload_size(frm: int, fopts: int, has_fport: bool, expected: int) -> None:
    assert phy_payload_size(frm, fopts, has_fport=has_fport) == expected


def test_phy_payload_size_rejects_invalid_frames() -> None:
    with pytest.raises(ValueError):
        phy_payload_size(1, has_fport=False)
    with pytest.raises(ValueError):
        phy_payload_size(0, 16)
    with pytest.raises(ValueError):
        phy_payload_size(-1)
