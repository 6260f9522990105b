"""Regional parameters; facts from /work/shared/research/lorawan-timing.md §5 unless noted."""

from fractions import Fraction

import pytest

from mockserver.lorawan.regions import EU868, EU868_TTN, FSK, US915, Band, LoRa, band


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("EU868", EU868),
        ("eu868", EU868),
        ("EU_863_870", EU868),
        ("eu_863_870", EU868),
        ("EU_863_870_TTN", EU868_TTN),
        ("US915", US915),
        ("us915", US915),
        ("US_902_928", US915),
        (" Us_902_928 ", US915),
    ],
)
def test_band_lookup(name: str, expected: Band) -> None:
    assert band(name) is expected


def test_band_lookup_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="AS923"):
        band("AS923")


# §5 EU863-870: DR0..DR7 modulations, all LoRa at CR 4/5.
@pytest.mark.parametrize(
    ("dr", "modulation"),
    [
        (0, LoRa(12, 125_000)),
        (1, LoRa(11, 125_000)),
        (2, LoRa(10, 125_000)),
        (3, LoRa(9, 125_000)),
        (4, LoRa(8, 125_000)),
        (5, LoRa(7, 125_000)),
        (6, LoRa(7, 250_000)),
        (7, FSK(50_000)),
    ],
)
def test_eu868_data_rates(dr: int, modulation: LoRa | FSK) -> None:
    rate = EU868.data_rate(dr)
    assert rate.modulation == modulation
    assert rate.uplink and rate.downlink


# §5 US902-928: DR0-4 uplink only, DR8-13 downlink only.
@pytest.mark.parametrize(
    ("dr", "modulation", "uplink", "downlink"),
    [
        (0, LoRa(10, 125_000), True, False),
        (1, LoRa(9, 125_000), True, False),
        (2, LoRa(8, 125_000), True, False),
        (3, LoRa(7, 125_000), True, False),
        (4, LoRa(8, 500_000), True, False),
        (8, LoRa(12, 500_000), False, True),
        (9, LoRa(11, 500_000), False, True),
        (10, LoRa(10, 500_000), False, True),
        (11, LoRa(9, 500_000), False, True),
        (12, LoRa(8, 500_000), False, True),
        (13, LoRa(7, 500_000), False, True),
    ],
)
def test_us915_data_rates(dr: int, modulation: LoRa, uplink: bool, downlink: bool) -> None:
    rate = US915.data_rate(dr)
    assert (rate.modulation, rate.uplink, rate.downlink) == (modulation, uplink, downlink)


@pytest.mark.parametrize(("b", "dr"), [(EU868, 8), (US915, 5), (US915, 7), (US915, 14)])
def test_unsupported_data_rates_are_refused(b: Band, dr: int) -> None:
    with pytest.raises(ValueError):
        b.data_rate(dr)


# §5 M/N, not repeater-compatible (TTS, LMN, CS default).
@pytest.mark.parametrize(
    ("b", "dr", "m", "n"),
    [
        (EU868, 0, 59, 51),
        (EU868, 1, 59, 51),
        (EU868, 2, 59, 51),
        (EU868, 3, 123, 115),
        (EU868, 4, 250, 242),
        (EU868, 5, 250, 242),
        (EU868, 6, 250, 242),
        (EU868, 7, 250, 242),
        (US915, 0, 19, 11),
        (US915, 1, 61, 53),
        (US915, 2, 133, 125),
        (US915, 3, 250, 242),
        (US915, 4, 250, 242),
        (US915, 8, 61, 53),
        (US915, 9, 137, 129),
        (US915, 10, 250, 242),
        (US915, 11, 250, 242),
        (US915, 12, 250, 242),
        (US915, 13, 250, 242),
    ],
)
def test_max_payload_sizes(b: Band, dr: int, m: int, n: int) -> None:
    assert b.max_mac_payload(dr) == m
    assert b.max_frm_payload(dr) == n


@pytest.mark.parametrize("b", [EU868, EU868_TTN, US915])
def test_max_frm_payload_any_dr_is_242(b: Band) -> None:
    assert b.max_frm_payload_any_dr == 242


# §5: EU868 RX1 DR = max(0, upDR - offset), offsets 0..5 (TTS eu863870DownlinkDRTable).
@pytest.mark.parametrize("uplink_dr", range(8))
@pytest.mark.parametrize("offset", range(6))
def test_eu868_rx1_data_rate(uplink_dr: int, offset: int) -> None:
    assert EU868.rx1_data_rate(uplink_dr, offset) == max(0, uplink_dr - offset)


# §5: US915 RX1 DR table, rows by upDR, columns by offset 0..3.
@pytest.mark.parametrize(
    ("uplink_dr", "row"),
    [
        (0, (10, 9, 8, 8)),
        (1, (11, 10, 9, 8)),
        (2, (12, 11, 10, 9)),
        (3, (13, 12, 11, 10)),
        (4, (13, 13, 12, 11)),
    ],
)
def test_us915_rx1_data_rate(uplink_dr: int, row: tuple[int, ...]) -> None:
    assert tuple(US915.rx1_data_rate(uplink_dr, offset) for offset in range(4)) == row


@pytest.mark.parametrize(
    ("b", "uplink_dr", "offset"), [(EU868, 0, 6), (EU868, 8, 0), (US915, 0, 4), (US915, 5, 0)]
)
def test_rx1_data_rate_rejects_out_of_range(b: Band, uplink_dr: int, offset: int) -> None:
    with pytest.raises(ValueError):
        b.rx1_data_rate(uplink_dr, offset)


@pytest.mark.parametrize("uplink_hz", [868_100_000, 868_300_000, 868_500_000, 867_100_000])
def test_eu868_rx1_on_uplink_frequency(uplink_hz: int) -> None:
    assert EU868.rx1_frequency(uplink_hz) == uplink_hz


# §5: US915 RX1 channel = uplink channel mod 8, downlink at 923.3 + 0.6*n MHz.
@pytest.mark.parametrize(
    ("uplink_hz", "rx1_hz"),
    [
        (902_300_000, 923_300_000),  # channel 0
        (903_700_000, 927_500_000),  # channel 7
        (903_900_000, 923_300_000),  # channel 8 (TTN sub-band 2 starts here)
        (904_100_000, 923_900_000),  # channel 9
        (914_900_000, 927_500_000),  # channel 63
        (903_000_000, 923_300_000),  # channel 64, 500 kHz
        (904_600_000, 923_900_000),  # channel 65
        (914_200_000, 927_500_000),  # channel 71
    ],
)
def test_us915_rx1_frequency(uplink_hz: int, rx1_hz: int) -> None:
    assert US915.rx1_frequency(uplink_hz) == rx1_hz


@pytest.mark.parametrize(
    ("b", "uplink_hz"),
    [(US915, 902_400_000), (US915, 923_300_000), (US915, 868_100_000), (EU868, 915_000_000)],
)
def test_rx1_frequency_rejects_non_uplink_frequencies(b: Band, uplink_hz: int) -> None:
    with pytest.raises(ValueError):
        b.rx1_frequency(uplink_hz)


# §5: RX2 defaults; TTN community plan uses DR3 (lorawan-frequency-plans EU_863_870_TTN).
@pytest.mark.parametrize(
    ("b", "frequency_hz", "dr"),
    [(EU868, 869_525_000, 0), (EU868_TTN, 869_525_000, 3), (US915, 923_300_000, 8)],
)
def test_rx2_defaults(b: Band, frequency_hz: int, dr: int) -> None:
    assert (b.rx2_frequency_hz, b.rx2_data_rate) == (frequency_hz, dr)


def test_ttn_plan_differs_only_in_rx2_data_rate() -> None:
    assert EU868_TTN.band_id == "EU_863_870_TTN"
    assert EU868_TTN.data_rates == EU868.data_rates
    assert EU868_TTN.sub_bands == EU868.sub_bands


# §1: RECEIVE_DELAY1 1 s, RECEIVE_DELAY2 = RX1 + 1 s, JOIN_ACCEPT_DELAY1/2 5 s / 6 s.
@pytest.mark.parametrize("b", [EU868, EU868_TTN, US915])
def test_receive_delays(b: Band) -> None:
    assert b.receive_delay1 == 1_000_000
    assert b.receive_delay2 == b.receive_delay1 + 1_000_000
    assert (b.join_accept_delay1, b.join_accept_delay2) == (5_000_000, 6_000_000)


# §2: EU868 beacon and ping slots on 869.525 MHz DR3.
@pytest.mark.parametrize("beacon_time", [0, 128, 1_384_035_200])
def test_eu868_class_b_channel(beacon_time: int) -> None:
    assert (EU868.beacon_data_rate, EU868.ping_slot_data_rate) == (3, 3)
    assert EU868.beacon_frequency(beacon_time) == 869_525_000
    assert EU868.ping_slot_frequency(0x26011234, beacon_time) == 869_525_000


# §2 (RP 1.0.3revA Table 18): US915 beacon channel = floor(beaconTime/128) mod 8,
# ping channel = (DevAddr + floor(beaconTime/128)) mod 8, on 923.3 + 0.6*k MHz, DR8.
@pytest.mark.parametrize(
    ("beacon_time", "dev_addr", "beacon_hz", "ping_hz"),
    [
        (0, 0, 923_300_000, 923_300_000),
        (128, 0, 923_900_000, 923_900_000),
        (7 * 128, 1, 927_500_000, 923_300_000),
        (8 * 128, 3, 923_300_000, 925_100_000),
        (3 * 128, 0x26011234, 925_100_000, 927_500_000),  # (0x26011234 + 3) mod 8 = 7
    ],
)
def test_us915_class_b_hopping(
    beacon_time: int, dev_addr: int, beacon_hz: int, ping_hz: int
) -> None:
    assert (US915.beacon_data_rate, US915.ping_slot_data_rate) == (8, 8)
    assert US915.beacon_frequency(beacon_time) == beacon_hz
    assert US915.ping_slot_frequency(dev_addr, beacon_time) == ping_hz


# §5: EU868 sub-bands and duty cycles (TTS SubBands, LMN VerifyRfFreq).
@pytest.mark.parametrize(
    ("name", "low_hz", "high_hz", "duty_cycle"),
    [
        ("K", 863_000_000, 865_000_000, Fraction(1, 1000)),
        ("L", 865_000_000, 868_000_000, Fraction(1, 100)),
        ("M", 868_000_000, 868_600_000, Fraction(1, 100)),
        ("N", 868_700_000, 869_200_000, Fraction(1, 1000)),
        ("P", 869_400_000, 869_650_000, Fraction(1, 10)),
        ("Q", 869_700_000, 870_000_000, Fraction(1, 100)),
    ],
)
def test_eu868_sub_bands(name: str, low_hz: int, high_hz: int, duty_cycle: Fraction) -> None:
    (sub_band,) = [sb for sb in EU868.sub_bands if sb.name == name]
    assert (sub_band.min_frequency_hz, sub_band.max_frequency_hz) == (low_hz, high_hz)
    assert sub_band.duty_cycle == duty_cycle


def test_us915_has_no_duty_cycle() -> None:
    assert US915.sub_bands == ()
    assert US915.sub_band(923_300_000) is None


# §4 "Computed EU868 uplink/downlink(CRC off) ToA" for PHY sizes 12 and 51, per DR.
@pytest.mark.parametrize(
    ("dr", "size", "uplink_us", "downlink_us"),
    [
        (0, 12, 1_155_072, 991_232),
        (0, 51, 2_465_792, 2_301_952),
        (3, 12, 144_384, 144_384),
        (3, 51, 328_704, 328_704),
        (5, 12, 41_216, 41_216),
        (5, 51, 102_656, 97_536),
        (6, 12, 20_608, 20_608),
        (6, 51, 51_328, 48_768),
    ],
)
def test_eu868_time_on_air_per_dr(dr: int, size: int, uplink_us: int, downlink_us: int) -> None:
    rate = EU868.data_rate(dr)
    assert rate.time_on_air(size) == uplink_us
    assert rate.time_on_air(size, crc=False) == downlink_us


# §5: "US DR0 max PHY (24 B) = 370.7 ms" (370.688 ms exactly), under the 400 ms dwell time.
def test_us915_dr0_max_frame_airtime() -> None:
    assert US915.max_mac_payload(0) + 5 == 24
    assert US915.data_rate(0).time_on_air(24) == 370_688


def test_eu868_dr7_is_fsk_airtime() -> None:
    # TTS toa_test TestFSK: 200 bytes at 50 kbps.
    assert EU868.data_rate(7).time_on_air(200) == 33_760
