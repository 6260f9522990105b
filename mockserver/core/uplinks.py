"""Uplinks: what a device sends, and what opens its class A receive windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.types import Micros

if TYPE_CHECKING:
    from mockserver.core.network import NetworkEvent


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

    @classmethod
    def from_event(cls, event: NetworkEvent) -> Uplink:
        """The uplink an `uplink` event stands for (events carry plain values only)."""
        details = event.details
        return cls(
            received_at=event.at,
            f_port=details.get("f_port"),
            frm_payload=details.get("frm_payload", b""),
            confirmed=details.get("confirmed", False),
            ack=details.get("ack", False),
            data_rate=details.get("data_rate", 5),
            frequency=details.get("frequency", 868_100_000),
            f_cnt=details.get("f_cnt", 0),
        )


_new_object = object.__new__
_set_received_at, _set_f_port, _set_frm_payload, _set_confirmed = (
    Uplink.__dict__[name].__set__ for name in ("received_at", "f_port", "frm_payload", "confirmed")
)
_set_ack, _set_data_rate, _set_frequency, _set_f_cnt = (
    Uplink.__dict__[name].__set__ for name in ("ack", "data_rate", "frequency", "f_cnt")
)


def received(
    received_at: Micros,
    f_port: int | None,
    frm_payload: bytes,
    confirmed: bool,
    ack: bool,
    data_rate: int,
    frequency: int,
    f_cnt: int,
) -> Uplink:
    """`Uplink(...)` with every field given, at a third of the cost: a frozen dataclass sets
    each field through `object.__setattr__`, and a day of a large network receives a
    million uplinks. The same object; it stays frozen to its users."""
    uplink = _new_object(Uplink)
    _set_received_at(uplink, received_at)
    _set_f_port(uplink, f_port)
    _set_frm_payload(uplink, frm_payload)
    _set_confirmed(uplink, confirmed)
    _set_ack(uplink, ack)
    _set_data_rate(uplink, data_rate)
    _set_frequency(uplink, frequency)
    _set_f_cnt(uplink, f_cnt)
    return uplink
