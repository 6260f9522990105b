"""The request log: what a running simulator does, one line per event, as it happens.

`events` says what a line holds, `formatting` writes it as text or JSON, `hooks` are the
calls the pipeline makes where the events happen, `console` is `serve`'s options and handler.
"""

from mockserver.request_log.console import add_arguments, install, uninstall
from mockserver.request_log.formatting import json_line

__all__ = ["add_arguments", "install", "json_line", "uninstall"]
