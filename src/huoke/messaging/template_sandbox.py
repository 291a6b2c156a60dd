"""The sandbox message templates run in: Jinja2's immutable sandbox made stricter, the values templates see,
the filters they may use, and where in a template text an error is.

A template is written by a marketer and may be read by anyone who can send messages, so it can read the
customer, holdings, offer and coupon it is given and nothing else of the process: no ``_private`` names (not
even as mapping keys), no ``str.format``, no other templates, and no expression that builds a huge value.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from huoke.messaging.honorific import honorific

VARIABLES = frozenset({"customer", "holdings", "offer", "coupon", "link"})
MAX_RENDERED = 1_000_000  # characters one field may render to
MAX_POWER = 64
_FORMAT_METHODS = frozenset({"format", "format_map"})
_ATTRIBUTE_FILTERS = frozenset(
    {"attr", "map", "selectattr", "rejectattr", "sort", "groupby", "sum", "unique", "min", "max"}
)
_CROSS_TEMPLATE = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)


class Refused(SecurityError):
    """A construct the static check refuses: the line it is on and the text to point at."""

    def __init__(self, message: str, token: str, lineno: int) -> None:
        super().__init__(message)
        self.token, self.lineno = token, lineno


@dataclass(frozen=True)
class Compiled:
    """A compiled template and the top-level variables it reads that templates are not given (name, line)."""

    template: Template
    unknown: tuple[tuple[str, int], ...]


class _Record:
    """A read-only mapping as templates see it: keys read as attributes, and no methods to shadow them."""

    __slots__ = ("_label", "_values")

    def __init__(self, label: str, values: Mapping[str, Any]) -> None:
        self._label, self._values = label, values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<{self._label}>"


class _Items(tuple[Any, ...]):
    """A read-only list as templates see it, labelled for error messages."""

    _label = "list"


def expose(value: Any, label: str) -> Any:
    """VALUE as templates see it: mappings and lists become read-only and know their path (LABEL), so an
    undefined key is reported as ``customer.vip_level`` or ``holdings[2].balance``."""
    if isinstance(value, Mapping):
        return _Record(label, {str(k): expose(v, f"{label}.{k}") for k, v in value.items()})
    if isinstance(value, list | tuple):
        items = _Items(expose(v, f"{label}[{i}]") for i, v in enumerate(value))
        items._label = label
        return items
    return value


class _Undefined(StrictUndefined):
    """Strict undefined whose error message is the variable's path."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing:
            return str(self._undefined_name)
        base = getattr(self._undefined_obj, "_label", type(self._undefined_obj).__name__)
        name = self._undefined_name
        return f"{base}[{name}]" if isinstance(name, int) else f"{base}.{name}"


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, stricter at run time (the static check in ``compile_text`` comes first)."""

    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_") or (isinstance(obj, str) and attr in _FORMAT_METHODS):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        # Jinja returns an undefined that fails only when used; a refusal is louder, and `map` or `is defined`
        # cannot swallow it.
        reason = _private(attribute) or (f"access to {attribute!r} is not allowed", "")
        raise SecurityError(reason[0])

    def getattr(self, obj: Any, attribute: str) -> Any:
        if attribute.startswith("_"):
            self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str) and argument.startswith("_"):
            self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise SecurityError(f"the power {right!r} is too large")
        if operator == "*" and (_too_long(left, right) or _too_long(right, left)):
            raise SecurityError("repeating a value that many times makes it too large")
        return super().call_binop(context, operator, left, right)


def _too_long(sized: Any, times: Any) -> bool:
    return isinstance(sized, str | tuple | list) and isinstance(times, int) and len(sized) * times > MAX_RENDERED


def yuan(fen: Any) -> str:
    """Filter: an amount in fen as yuan with thousands separators, 123450 → "1,234.50"."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"yuan expects an amount in fen (an integer), got {fen!r}")
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}"


def chinese_date(value: Any) -> str:
    """Filter: a date, datetime or ISO 8601 text as "2026年11月24日" (the date as given, no time-zone shift)."""
    day = value
    if isinstance(value, str):
        try:
            day = datetime.fromisoformat(value)
        except ValueError:
            raise TypeError(f"date expects a date or an ISO 8601 date text, got {value!r}") from None
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise TypeError(f"date expects a date or an ISO 8601 date text, got {value!r}")
    return f"{day.year}年{day.month}月{day.day}日"


@lru_cache(maxsize=2)
def _environment(html: bool) -> _Sandbox:
    env = _Sandbox(undefined=_Undefined, autoescape=html)
    env.filters.update(yuan=yuan, date=chinese_date, honorific=honorific)
    return env


@lru_cache(maxsize=256)
def compile_text(source: str, *, html: bool) -> Compiled:
    """SOURCE compiled in the sandbox (HTML autoescaped when HTML). Raises Jinja's TemplateSyntaxError, or
    Refused for what the sandbox would refuse at run time anyway, found before any customer is rendered."""
    env = _environment(html)
    tree = env.parse(source)
    kinds = (nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Call, *_CROSS_TEMPLATE)
    refused = [(*why, node.lineno) for node in tree.find_all(kinds) if (why := _unsafe(node))]
    if refused:  # the leftmost on the first line: `''.__class__.__mro__` is refused for __class__
        raise Refused(*min(refused, key=lambda r: (r[2], find_column(line_of(source, r[2]), r[1]) or 0)))
    unknown = meta.find_undeclared_variables(tree) - VARIABLES - set(env.globals)
    first: dict[str, int] = {}
    for used in tree.find_all(nodes.Name):
        if used.name in unknown:
            first.setdefault(used.name, used.lineno)
    return Compiled(env.from_string(tree), tuple(first.items()))


def _unsafe(node: nodes.Node) -> tuple[str, str] | None:
    """Why NODE is refused and the text to point at, or None when it is allowed."""
    if isinstance(node, _CROSS_TEMPLATE):
        return "templates cannot include, extend or import other templates", "{%"
    if isinstance(node, nodes.Getattr):
        return _private(node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return _private(node.arg.value)
    if isinstance(node, nodes.Filter) and node.name in _ATTRIBUTE_FILTERS:
        consts = [a for a in [*node.args, *(k.value for k in node.kwargs)] if isinstance(a, nodes.Const)]
        return next(filter(None, (_private(c.value) for c in consts)), None)
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in _FORMAT_METHODS:
        attr = node.node.attr
        return f"calling {attr}() is not allowed; use filters such as yuan and date", f".{attr}"
    return None


def _private(name: Any) -> tuple[str, str] | None:
    if isinstance(name, str) and any(part.startswith("_") for part in name.split(".")):
        return f"access to {name!r} is not allowed: names starting with _ are private", name
    return None


def render_bounded(template: Template, variables: Mapping[str, Any]) -> str:
    """TEMPLATE rendered with VARIABLES, stopped with SecurityError once it passes MAX_RENDERED characters."""
    return _bounded(template.generate(dict(variables)))


def _bounded(chunks: Iterable[str]) -> str:
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED:
            raise SecurityError(f"the rendered text exceeds {MAX_RENDERED:,} characters")
        out.append(chunk)
    return "".join(out)


# --- where an error is -------------------------------------------------------------------------------------

_CHAR_AT = re.compile(r" at (\d+)$")
_TOKEN_TEXT = {"end of print statement": "}}", "end of statement block": "%}", "begin of print statement": "{{"}


def line_of(source: str, lineno: int | None) -> str:
    """Line LINENO (1-based) of SOURCE, or "" when there is no such line."""
    lines = source.splitlines()
    return lines[lineno - 1] if lineno and 0 < lineno <= len(lines) else ""


def syntax_column(source: str, lineno: int, message: str) -> int:
    """The 1-based column of a syntax error: Jinja gives the line, we locate the offending token in it."""
    line = line_of(source, lineno)
    offset = _CHAR_AT.search(message)
    if offset:  # the lexer gives an offset into the whole text
        start = sum(len(text) + 1 for text in source.splitlines()[: lineno - 1])
        return max(int(offset.group(1)) - start + 1, 1)
    if "end of template" in message:  # point at the tag left open
        opener = max(line.rfind("{{"), line.rfind("{%"))
        return opener + 1 if opener >= 0 else len(line) + 1
    got = re.search(r"got '([^']*)'", message)
    quoted = [got.group(1)] if got else re.findall(r"'([^']*)'", message)[:1]
    token = _TOKEN_TEXT.get(quoted[0], quoted[0]) if quoted else None
    return find_column(line, token) or 1


def find_column(line: str, token: str | None) -> int | None:
    """Where TOKEN is in LINE, preferring the part from the first tag on; 1-based, None when absent."""
    if not token:
        return None
    openers = [i for i in (line.find("{{"), line.find("{%")) if i >= 0]
    index = line.find(token, min(openers, default=0))
    index = index if index >= 0 else line.find(token)
    return index + 1 if index >= 0 else None


def template_line(exc: BaseException) -> int | None:
    """The template line a run-time error was raised on (Jinja rewrites tracebacks to show template lines)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    return frames[-1].lineno if frames else None
