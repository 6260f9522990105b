"""schemathesis against the ThingPark descriptions (merged with their overlays, as served).

Besides TTS's exclusion (undeclared methods), one check is left out: the vendor's query
flags are untyped, so schemathesis sends `flushDownlinkQueue=null` as schema-valid while
the service reads only booleans and answers 400 (docs/providers/thingpark.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.contract.documents import bundled_specs_dir, load_spec
from mockserver.server import MockServer

CASES = {"dx-core": "/core/v141/api", "dx-admin": "/admin/latest/api"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_schemathesis_finds_nothing(name: str, tmp_path: Path):
    spec = load_spec(bundled_specs_dir() / "thingpark" / f"{name}.yaml", "thingpark")
    merged = tmp_path / f"{name}.json"
    merged.write_text(json.dumps(spec.document))  # JSON: YAML's integer status keys as text
    (tmp_path / "schemathesis.toml").write_text('[parameters]\n"path.device" = "1001"\n')
    server = MockServer()
    url = server.start()
    token = server.providers["thingpark"].ready_token
    try:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("st")),
                "run",
                str(merged),
                "--url",
                url + CASES[name],
                "-H",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--exclude-checks",
                "unsupported_method,positive_data_acceptance",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                os.environ.get("SCHEMATHESIS_EXAMPLES", "25"),
                "--seed",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert not [v for v in server.contract.log.violations if v.direction == "response"]
