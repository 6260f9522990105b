"""Build a large world through the Python API, to measure what it costs in memory."""

from __future__ import annotations

from mockserver.providers.tts.downlinks import ApplicationDownlink
from mockserver.server import MockServer


def build(devices: int, queued: int) -> MockServer:
    server = MockServer()
    tts = server.providers["tts"]
    for index in range(devices):
        tts.registry.add_device(
            "bench",
            {
                "id": f"dev-{index:06d}",
                "dev_eui": f"{index:016X}",
                "session": {"dev_addr": f"{index:08X}"},
            },
        )
        items = [
            ApplicationDownlink(f_port=1 + n, frm_payload=bytes([n] * 8)) for n in range(queued)
        ]
        tts.application_server.queue("bench", f"dev-{index:06d}", items, replace=False)
    return server
