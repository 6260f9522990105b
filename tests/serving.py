"""Starting `mockserver serve` as a process and knowing when it is ready, without polling."""

from __future__ import annotations

import queue
import subprocess
import threading


class Output:
    """A server process's output, read line by line on a thread as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(process.stdout,), daemon=True).start()

    def _pump(self, stdout: object) -> None:
        for line in stdout:  # type: ignore[attr-defined]
            self._lines.put(line)
        self._lines.put(None)

    def next_line(self, timeout: float = 60) -> str:
        """The next line; fails if the process ends first or stays silent for `timeout` s."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            message = f"the server printed nothing for {timeout:g} s:\n" + "".join(self.seen)
            raise AssertionError(message) from None
        if line is None:
            raise AssertionError("the server exited:\n" + "".join(self.seen))
        self.seen.append(line)
        return line

    def until_ready(self, timeout: float = 60) -> list[str]:
        """The lines up to the `ready:` line (printed once the port is bound), banner included."""
        while not _is_ready(self.next_line(timeout)):
            pass
        return self.seen


def wait_until_ready(process: subprocess.Popen[str], timeout: float = 60) -> list[str]:
    """Read the server's output up to its `ready:` line (printed once the port is bound).

    Returns the lines read, banner included. Fails if the process ends first or stays
    silent for `timeout` seconds.
    """
    return Output(process).until_ready(timeout)


def _is_ready(line: str) -> bool:
    """`ready: <url>`, or its JSON form under `--log-format json`."""
    return line.startswith("ready: ") or (line.startswith("{") and '"event":"ready"' in line)
