"""README's ThingPark curl examples, run verbatim with the real `curl` against a real port.

Only the URL's host and port are swapped for the test server's; everything else (flags,
headers, the ready token, bodies) is the README's text.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from mockserver.server import MockServer
from tests.readme_curls import run_curl

README = Path(__file__).resolve().parents[3] / "README.md"


def thingpark_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## ThingPark DX Core examples", 1)[1].split("\n## ", 1)[0]
    return [block.replace("\\\n", " ") for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


EXAMPLES = thingpark_examples()


def test_a_token_a_downlink_and_the_queue():
    paths = [re.search(r"'http://127\.0\.0\.1:8080([^'?]*)", e).group(1) for e in EXAMPLES]
    assert paths == [
        "/admin/latest/api/oauth/token",
        "/core/latest/api/devices/0018B20000000001/downlinkMessages",
        "/core/latest/api/devices/0018B20000000001/downlinkMessages",
    ]


def test_the_readme_token_is_the_default_worlds_ready_token():
    token = MockServer().providers["thingpark"].ready_token
    assert token and all(token in example for example in EXAMPLES if "Authorization" in example)
    assert f"`{token}`" in README.read_text(encoding="utf-8")  # the identities table too


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl binary")
def test_every_example_works_verbatim():
    server = MockServer()
    url = server.start()
    answers = []
    try:
        for example in EXAMPLES:
            result, body, status = run_curl(example, url)
            assert result.returncode == 0 and status == "200", (example, result)
            answers.append(json.loads(body))
    finally:
        server.stop()
    assert server.contract.log.violations == []
    token, queued, pending = answers
    assert token["token_type"] == "bearer" and token["access_token"]
    assert queued["status"] == "QUEUED" and queued["payloadHex"] == "0102"
    assert [frame["correlationID"] for frame in pending] == [queued["correlationID"]]
