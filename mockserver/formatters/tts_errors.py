"""The Things Stack's formatter errors (definitions copied from its `errors.Define…` calls).

pkg/scripting/javascript: what running a script can fail with; pkg/messageprocessors/…:
what TTS makes of the script's result. An error defined without a code is Unknown (2), so
its HTTP status comes from its cause, or is 500 when the cause is not a TTS error (goja's
own conversion errors are not: the simulator leaves such a cause out of the details).
"""

from __future__ import annotations

from mockserver.providers.tts.errors import ENCODER_OUTPUT_ERRORS, Code, define

_SCRIPTING = "pkg/scripting/javascript"
_JAVASCRIPT = "pkg/messageprocessors/javascript"
_CAYENNELPP = "pkg/messageprocessors/cayennelpp"
_NORMALIZED = "pkg/messageprocessors/normalizedpayload"

SCRIPT_TIMEOUT = define(_SCRIPTING, "script_timeout", "script timeout", Code.DEADLINE_EXCEEDED)
SCRIPT = define(_SCRIPTING, "script", "{message}", Code.ABORTED)
RUNTIME = define(_SCRIPTING, "runtime", "{message}", Code.ABORTED)
NO_SCRIPT_OUTPUT = define(_SCRIPTING, "no_script_output", "no script output", Code.ABORTED)
ENTRYPOINT_NOT_FOUND = define(
    _SCRIPTING, "entrypoint_not_found", "entrypoint `{entrypoint}` not found", Code.NOT_FOUND
)

INPUT = define(_JAVASCRIPT, "input", "invalid input", Code.INVALID_ARGUMENT)
OUTPUT = define(_JAVASCRIPT, "output", "invalid output", Code.UNKNOWN)
OUTPUT_ERRORS = ENCODER_OUTPUT_ERRORS  # "{errors}", Aborted: the script's own `errors`

CAYENNELPP_INPUT = define(_CAYENNELPP, "input", "invalid input", Code.INVALID_ARGUMENT)
CAYENNELPP_OUTPUT = define(_CAYENNELPP, "output", "invalid output", Code.INVALID_ARGUMENT)

FIELD_TYPE = define(
    _NORMALIZED, "field_type", "invalid field type of `{path}`", Code.INVALID_ARGUMENT
)
UNKNOWN_FIELD = define(
    _NORMALIZED, "unknown_field", "unknown field `{path}`", Code.INVALID_ARGUMENT
)
FIELD_MINIMUM = define(
    _NORMALIZED,
    "field_minimum",
    "`{path}` should be equal or greater than `{minimum}`",
    Code.DATA_LOSS,
)
FIELD_MAXIMUM = define(
    _NORMALIZED,
    "field_maximum",
    "`{path}` should be equal or less than `{maximum}`",
    Code.DATA_LOSS,
)
FIELD_EXCLUSIVE_MAXIMUM = define(
    _NORMALIZED,
    "field_exclusive_maximum",
    "`{path}` should be less than `{maximum}`",
    Code.DATA_LOSS,
)
