"""Type aliases shared across the package, so that every module speaks the same units."""

from typing import Any

#: An instant or a duration in integer microseconds. Instants count from the Unix epoch.
#: Integers keep LoRaWAN timing exact: every time on air and ping slot is a whole microsecond.
Micros = int

#: A decoded JSON value.
JSON = Any

SECOND: Micros = 1_000_000
MILLISECOND: Micros = 1_000


def seconds(value: float) -> Micros:
    """Convert seconds (as users write them) to the package's microsecond unit."""
    return round(value * SECOND)
