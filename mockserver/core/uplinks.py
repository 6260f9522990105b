"""Uplinks: what a device sends, and what opens its class A receive windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


class _Unfrozen:
    """Uplink's very slots without its frozen `__setattr__`: `received` fills one of these
    with plain attribute stores, then makes it the Uplink it is laid out as."""

    __slots__ = Uplink.__slots__


_new_unfrozen = object.__new__


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
    """`Uplink(...)` with every field given, at a quarter of the cost: a frozen dataclass sets
    each field through `object.__setattr__`, and a day of a large network receives a
    million uplinks. The fields are stored on an object of the same slots, whose class is
    then set to Uplink (Python allows it between classes of one layout): the same object
    as Uplink(...) makes, frozen to its users."""
    uplink: Any = _new_unfrozen(_Unfrozen)
    uplink.received_at = received_at
    uplink.f_port = f_port
    uplink.frm_payload = frm_payload
    uplink.confirmed = confirmed
    uplink.ack = ack
    uplink.data_rate = data_rate
    uplink.frequency = frequency
    uplink.f_cnt = f_cnt
    uplink.__class__ = Uplink
    made: Uplink = uplink
    return made
