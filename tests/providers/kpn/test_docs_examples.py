"""README's KPN curl examples, run verbatim with the real `curl` against a real port.

Only the URL's host and port are swapped for the test server's; everything else (flags,
headers, the ready token, bodies) is the README's text.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mockserver.server import MockServer
from tests.readme_curls import run_curl

README = Path(__file__).resolve().parents[3] / "README.md"


def kpn_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## KPN Things examples", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    inline = re.findall(r"`(curl '[^`]+)`", section)
    return [block.replace("\\\n", " ") for block in blocks] + inline


EXAMPLES = kpn_examples()


def test_one_example_per_api_and_the_token_exchange():
    paths = sorted(re.search(r"'http://127\.0\.0\.1:8080([^'?]*)", e).group(1) for e in EXAMPLES)
    assert paths == sorted(
        [
            "/api/v3/idp/oidc/token",
            "/downlinks",
            "/lora/downlinks",
            "/mqtt/downlinks",
            "/http/downlinks",
            "/sms/downlinks",
            "/lora/downlinks",
        ]
    )


def test_the_readme_token_is_the_default_worlds_ready_token():
    token = MockServer().providers["kpn"].ready_token("demo-client")
    assert all(token in example for example in EXAMPLES if "Authorization" in example)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl binary")
def test_every_example_works_verbatim():
    server = MockServer()
    url = server.start()
    try:
        for example in EXAMPLES:
            result, _body, status = run_curl(example, url)
            assert result.returncode == 0 and status in ("200", "201"), (example, result)
    finally:
        server.stop()
    assert server.contract.log.violations == []
    assert server.journal.entries()[-1].response.status == 200
