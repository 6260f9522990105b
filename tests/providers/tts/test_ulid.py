"""ULIDs (request IDs, correlation IDs): 48-bit millisecond time, then 80 seeded random bits."""

from __future__ import annotations

import random

import pytest

from mockserver.providers.tts.application_server import ulid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def decoded(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + CROCKFORD.index(char)
    return value


@pytest.mark.parametrize(
    "now", [0, 999, 1_000, 1_767_225_600_000_000, 1_767_225_600_000_999, (2**48 - 1) * 1000]
)
def test_a_ulid_is_the_millisecond_then_the_next_80_random_bits(now):
    expected_random = random.Random(7).getrandbits(80)
    text = ulid(now, random.Random(7))
    assert len(text) == 26 and set(text) <= set(CROCKFORD)
    assert decoded(text) == ((now // 1000) << 80) | expected_random


def test_ulids_in_one_millisecond_share_the_time_and_differ_in_the_rest():
    rng = random.Random(1)
    first, second = ulid(5_000_000, rng), ulid(5_000_400, rng)
    assert first[:10] == second[:10] and first[10:] != second[10:]
    assert ulid(6_000_000, rng)[:10] != first[:10]
