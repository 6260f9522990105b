"""LoRaWAN radio timing for the mock network servers: airtime, regional parameters, Class B
ping slots and duty cycle. Pure functions over integer microseconds (``Micros``)."""

from mockserver.lorawan.airtime import Micros, fsk_time_on_air, phy_payload_size, time_on_air
from mockserver.lorawan.class_b import beacon_start_at, ping_offset, ping_slot_at
from mockserver.lorawan.duty_cycle import DutyCycleTracker
from mockserver.lorawan.regions import EU868, EU868_TTN, US915, Band, DataRate, band

__all__ = [
    "EU868",
    "EU868_TTN",
    "US915",
    "Band",
    "DataRate",
    "DutyCycleTracker",
    "Micros",
    "band",
    "beacon_start_at",
    "fsk_time_on_air",
    "phy_payload_size",
    "ping_offset",
    "ping_slot_at",
    "time_on_air",
]
