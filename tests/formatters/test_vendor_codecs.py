"""Issue 20, item 17: vendors' codecs run as TTS runs them, each example of their codec
files giving its output. tests/formatters/vendor/ holds codecs in the Device Repository's
layout (its README says what they are); `MOCKSERVER_VENDOR_CODECS` names more folders of
that layout (`:`-separated, e.g. a checkout's `vendor/`) to run as well."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.formatters import vendor_known_wrong
from tests.formatters.vendor_examples import Example, examples, expected, run, same

HERE = Path(__file__).with_name("vendor")
ROOTS = [HERE, *(Path(p) for p in os.environ.get("MOCKSERVER_VENDOR_CODECS", "").split(":") if p)]
EXAMPLES = [example for root in ROOTS for example in examples(root)]


def test_the_bundled_codecs_have_examples_of_every_routine():
    bundled = [example for example in EXAMPLES if example.codec.is_relative_to(HERE)]
    assert {example.routine for example in bundled} == {
        "uplinkDecoder",
        "downlinkEncoder",
        "downlinkDecoder",
    }
    assert len({example.codec for example in bundled}) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_each_example_gives_its_output(example: Example):
    """An example TTS itself would not give (vendor_known_wrong says why) is an expected
    failure; any other must pass."""
    reason = vendor_known_wrong.reason(example)
    if not example.script.is_file():
        if reason:
            pytest.xfail(reason)
        pytest.fail(f"{example.id} names {example.script.name}, which is not there")
    actual, wanted = run(example), expected(example)
    if reason and not same(actual, wanted):
        pytest.xfail(reason)
    assert same(actual, wanted), f"{example.description}\n got: {actual}\nwant: {wanted}"
