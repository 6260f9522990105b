"""docs/formatters.md's example runs as it is, under the pytest plugin."""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "formatters.md"


def test_the_example_runs(pytester):
    (example,) = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    pytester.makepyfile(test_example=example)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
