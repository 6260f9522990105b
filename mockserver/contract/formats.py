"""String formats the bundled descriptions use, for fastjsonschema.

fastjsonschema knows draft-07's formats; OpenAPI adds its own. Number formats (`int32`, …)
are bounds and are lowered to minimum/maximum instead (see lowering.py).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable

UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
#: ISO 8601 durations. fastjsonschema's own `duration` is RFC 3339 Appendix A, which has no
#: fractions: it would reject `PT0.5S`, which ISO 8601 and KPN's `SimpleDuration` allow.
#: A decimal fraction is accepted on the seconds (the lowest-order component in practice).
ISO_8601_DURATION = (
    r"^P(?!$)(?:\d+W|(?:\d+Y)?(?:\d+M)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?)\Z"
)


def _is_base64(value: str) -> bool:
    if len(value) % 4 or not _BASE64.match(value):
        return False
    try:
        binascii.a2b_base64(value.encode())
    except binascii.Error:
        return False
    return True


def _anything(value: str) -> bool:
    return True


#: fastjsonschema's custom formats: a regular expression, or a check of the string.
FORMATS: dict[str, str | Callable[[str], bool]] = {
    "uuid": UUID,
    "duration": ISO_8601_DURATION,
    "byte": _is_base64,
    "binary": _anything,
    "password": _anything,
    "int32": _anything,
    "int64": _anything,
    "float": _anything,
    "double": _anything,
}
