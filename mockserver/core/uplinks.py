"""Uplinks: what a device sends, and what opens its class A receive windows."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.core.radio import Reception
from mockserver.types import Micros


@dataclass(frozen=True, slots=True)
class Uplink:
    """One uplink as the network received it.

    `received_at` is the end of the uplink's modulation: the instant LoRaWAN times RX1 and
    RX2 from (the gateway's `tmst` is taken at "RX finished").
    """

    received_at: Micros
    f_port: int | None = None
    frm_payload: bytes = b""
    confirmed: bool = False
    ack: bool = False  # FCtrl.ACK: acknowledges the last confirmed downlink
    data_rate: int = 5
    frequency: int = 868_100_000
    f_cnt: int = 0
    receptions: tuple[Reception, ...] = ()
