"""The network core: devices, their downlink queues and the events they emit. No vendor here."""

from mockserver.core.devices import Device, DeviceClass, Session
from mockserver.core.downlinks import Downlink, DownlinkQueue, QueueFull
from mockserver.core.network import DeviceExists, Network, UnknownDevice

__all__ = [
    "Device",
    "DeviceClass",
    "DeviceExists",
    "Downlink",
    "DownlinkQueue",
    "Network",
    "QueueFull",
    "Session",
    "UnknownDevice",
]
