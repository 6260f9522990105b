"""Running README's curl examples verbatim against a test server: only the docs' host and
port are swapped for the server's."""

from __future__ import annotations

import shlex
import subprocess

DOCS_URL = "http://127.0.0.1:8080"


def run_curl(example: str, url: str) -> tuple[subprocess.CompletedProcess[str], str, str]:
    """The finished curl, the body it printed and the HTTP status."""
    argv = shlex.split(example.replace(DOCS_URL, url))
    result = subprocess.run(
        [*argv, "--silent", "--show-error", "--write-out", "\n%{http_code}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    body, _, status = result.stdout.rpartition("\n")
    return result, body, status
