"""YAML read as the Device Repository reads its codec files: with js-yaml 4 (its
`package.json`; `bin/validate.js` runs each example from `yaml.load`), whose default schema
is YAML 1.2's core schema, not PyYAML's YAML 1.1.

The difference decides what an example says. Under YAML 1.1, `on`, `off`, `yes`, `no` (a
Milesight `digital_input: on`, a Netvox key `NO:`) are booleans and `00012074` is octal;
under js-yaml they are the strings `"on"` and `"NO"` and the decimal 12074, and `1e3`, which
YAML 1.1 leaves a string, is the number 1000. Each resolver below is js-yaml's rule
(type/bool.js, int.js, float.js) as a regular expression; null, timestamps and merge keys
are the same in both and stay PyYAML's."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

_BOOL, _INT, _FLOAT = (f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float"))

# js-yaml's int.js: a sign, then 0b/0x/0o digits, or decimal digits (a leading 0 is just a
# digit: no octal); `_` may separate digits but neither follow the sign or `0` nor end it.
_INT_RE = re.compile(
    r"""^[-+]?(?:
        0b_*[01](?:[01_]*[01])?
      | 0x_*[0-9a-fA-F](?:[0-9a-fA-F_]*[0-9a-fA-F])?
      | 0o_*[0-7](?:[0-7_]*[0-7])?
      | 0
      | (?:0[0-9]|[1-9])(?:[0-9_]*[0-9])?
    )$""",
    re.VERBOSE,
)
# js-yaml's float.js (a dot is optional, the exponent's sign too; not ending in `_`).
_FLOAT_RE = re.compile(
    r"""^(?:
        [-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
      | \.[0-9_]+(?:[eE][-+]?[0-9]+)?
      | [-+]?\.(?:inf|Inf|INF)
      | \.(?:nan|NaN|NAN)
    )(?<!_)$""",
    re.VERBOSE,
)
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader with js-yaml 4's booleans, integers and floats."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    base = {"0b": 2, "0x": 16, "0o": 8}.get(text[:2], 10)
    return sign * int(text[2:] if base != 10 else text, base)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).replace("_", "").lower()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if text == ".inf":
        return sign * math.inf
    if text == ".nan":
        return math.nan
    return sign * float(text)


Loader.add_implicit_resolver(_BOOL, _BOOL_RE, list("tTfF"))
Loader.add_implicit_resolver(_INT, _INT_RE, list("-+0123456789"))
Loader.add_implicit_resolver(_FLOAT, _FLOAT_RE, list("-+0123456789."))
Loader.add_constructor(_INT, _construct_int)
Loader.add_constructor(_FLOAT, _construct_float)


def load(text: str) -> Any:
    return yaml.load(text, Loader=Loader)  # a SafeLoader: only its resolvers differ
