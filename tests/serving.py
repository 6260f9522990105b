"""Starting `mockserver serve` as a process and knowing when it is ready, without polling."""

from __future__ import annotations

import queue
import subprocess
import threading


def wait_until_ready(process: subprocess.Popen[str], timeout: float = 60) -> list[str]:
    """Read the server's output up to its `ready:` line (printed once the port is bound).

    Returns the lines read, banner included. Fails if the process ends first or stays
    silent for `timeout` seconds.
    """
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            message = "the server printed nothing for a minute:\n" + "".join(seen)
            raise AssertionError(message) from None
        if line is None:
            raise AssertionError("the server exited before it was ready:\n" + "".join(seen))
        seen.append(line)
        if line.startswith("ready: "):
            return seen
