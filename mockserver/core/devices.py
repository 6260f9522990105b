"""End devices as the network sees them: identity, bearer, class, band, session and queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockserver.core.downlinks import DownlinkQueue
from mockserver.types import SECOND, Micros

#: The bearer of a LoRaWAN device, every device's unless its provider says otherwise.
LORA = "lora"


class DeviceClass(StrEnum):
    """LoRaWAN device class: when the device listens, hence when a downlink can go out."""

    A = "A"
    B = "B"
    C = "C"


@dataclass(slots=True)
class Session:
    """An activated device's session; without one a network cannot send it anything."""

    dev_addr: int
    session_key_id: bytes = b""
    last_f_cnt_up: int = 0
    last_f_cnt_down: int = 0


@dataclass(slots=True)
class Device:
    """A device in the simulated network.

    `id` is unique in a world and chosen by the provider that owns the device (TTS uses its
    own `application_id.device_id` notation); the core treats it as opaque.
    """

    id: str
    provider: str
    dev_eui: str | None = None
    join_eui: str | None = None
    device_class: DeviceClass = DeviceClass.A
    band: str = "EU868"
    rx1_delay: Micros = 5 * SECOND
    rx1_dr_offset: int = 0
    rx2_data_rate: int | None = None  # None: the band's default (EU868 DR0; TTN uses DR3)
    ping_slot_periodicity: int = 7  # class B: one ping slot every 2^7 * 0.96 s = 122.88 s
    uplink_interval: Micros | None = None  # the device uplinks on its own this often
    #: Class A: a push arriving after the uplink's decision (200 ms in) may still take a
    #: window it can reach, as TTS does; False where the network decides only at the uplink
    #: (TTN v2's handler), so such a push waits for the next uplink.
    late_pushes_use_windows: bool = True
    session: Session | None = None
    queue: DownlinkQueue = field(default_factory=DownlinkQueue)
    labels: dict[str, str] = field(default_factory=dict)
    #: How the network reaches the device: `lora` (the radio scheduler, where class, band
    #: and session apply), or one of `core.bearers`' IP and cellular ways (`mqtt`, `sms`,
    #: `http`: KPN's connection-specific APIs), where they do not.
    bearer: str = LORA
    #: The network core's own records of the device, kept on it (not part of its value):
    #: its timeline in the Network `_timeline_of`, its scheduling state in the Scheduler
    #: `_state_of`. Each is also kept by device id where it belongs (the source of truth,
    #: which outlives the object: a device removed and added again keeps its timeline);
    #: these are that same list and state, so that the path every event takes reads them
    #: from the object at hand instead of a dict of every device (a cache miss each time in
    #: a large world).
    _timeline: Any = field(default=None, init=False, repr=False, compare=False)
    _timeline_of: object = field(default=None, init=False, repr=False, compare=False)
    _state: Any = field(default=None, init=False, repr=False, compare=False)
    _state_of: object = field(default=None, init=False, repr=False, compare=False)
    #: The Network the device was last added to while it is still in it (None once
    #: removed): see Network.holds.
    _member_of: object = field(default=None, init=False, repr=False, compare=False)
