"""Rule checks outside the models: JSON text, shape and size limits, catalogue names, and error messages.

Every problem becomes ``InvalidInput`` with ``details`` = ``{"path", "value", "reason", "allowed"?}`` where
``path`` is the JSON path of the offending node, e.g. ``$.all[2].op``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Set
from typing import Any

from pydantic import BaseModel, ValidationError

from huoke.platform.errors import InvalidInput
from huoke.segments.filters import EventFilter
from huoke.segments.operators import STANDARD_ATTRIBUTES

MAX_DEPTH = 8
MAX_NODES = 200
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def invalid(path: str, value: Any, reason: str, allowed: list[str] | None = None) -> InvalidInput:
    """The error users see: where, what was there, why, and what would be accepted."""
    details: dict[str, Any] = {"path": path, "value": value, "reason": reason}
    message = f"invalid segment rule at {path}: {reason}; got {_short(value)}"
    if allowed is not None:
        details["allowed"] = allowed
        message += f"; allowed: {', '.join(allowed)}"
    return InvalidInput(message, code="invalid_rule", details=details)


def check_shape(document: Any, forms: tuple[str, ...]) -> Any:
    """Read JSON text if given, then check every rule node is an object of one form within the limits."""
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise invalid("$", None, f"the rule is not valid JSON ({exc})") from exc
    _check_node(document, "$", 1, [0], forms)
    return document


def _check_node(node: Any, path: str, depth: int, seen: list[int], forms: tuple[str, ...]) -> None:
    if depth > MAX_DEPTH:
        raise invalid(path, _keys(node), f"rules may nest at most {MAX_DEPTH} levels deep")
    seen[0] += 1
    if seen[0] > MAX_NODES:
        raise invalid(path, _keys(node), f"a rule may have at most {MAX_NODES} nodes")
    if not isinstance(node, dict):
        raise invalid(path, node, "a rule is a JSON object with one of the keys below", list(forms))
    present = [key for key in forms if key in node]
    if len(present) != 1:
        raise invalid(path, sorted(map(str, node)), "a rule needs exactly one of the keys below", list(forms))
    key = present[0]
    if key in ("all", "any") and isinstance(node[key], list):
        for index, child in enumerate(node[key]):
            _check_node(child, f"{path}.{key}[{index}]", depth + 1, seen, forms)
    elif key == "not":
        _check_node(node[key], f"{path}.not", depth + 1, seen, forms)


def _keys(node: Any) -> Any:
    """A short stand-in for a node too deep or too many to echo back: its keys."""
    return sorted(map(str, node)) if isinstance(node, dict) else type(node).__name__


def to_invalid_input(error: Exception, document: Any) -> Exception:
    """The first pydantic problem as ``InvalidInput`` with the JSON path into ``document``."""
    if not isinstance(error, ValidationError):
        return error
    first = error.errors(include_url=False)[0]
    context = first.get("ctx") or {}
    location = [part for part in first["loc"] if not (isinstance(part, str) and part.startswith("<"))]
    if context.get("field"):
        location.append(context["field"])
    path, value = _locate(document, location)
    return invalid(path, value, _reason(first, context), _allowed(first, context))


def _locate(document: Any, location: list[str | int]) -> tuple[str, Any]:
    """Follow the error location through the document; a step into a single value (``"gold"`` for a list) is skipped."""
    path, node = "$", document
    for part in location:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path, node = f"{path}[{part}]", node[part]
        elif isinstance(node, dict) and isinstance(part, str):
            path += f".{part}" if _IDENTIFIER.match(part) else f"[{json.dumps(part, ensure_ascii=False)}]"
            node = node.get(part)
    return path, node


def _reason(error: Any, context: dict[str, Any]) -> str:
    if "reason" in context:
        return str(context["reason"])
    if error["type"] == "missing":
        return "this key is required"
    if error["type"] == "literal_error":
        return "not one of the allowed values"
    return str(error["msg"])


def _allowed(error: Any, context: dict[str, Any]) -> list[str] | None:
    if isinstance(context.get("allowed"), str):  # discriminators carry their keys as one text
        return str(context["allowed"]).split(", ")
    if "allowed" in context:
        return [str(choice) for choice in context["allowed"]]
    if error["type"] == "literal_error":
        return re.findall(r"'([^']*)'", str(context.get("expected", "")))
    return None


def check_names(
    rule: BaseModel,
    attributes: Set[str] | None,
    tags: Set[str] | None,
    segments: Set[str] | None,
    event_types: Set[str] | None,
) -> None:
    """Reject custom attributes, tags, segments and event types that the given catalogues do not know."""
    for path, node in _nodes(rule, "$"):
        form = getattr(node, "form", None)
        if form == "attr" and node.attr not in STANDARD_ATTRIBUTES:  # type: ignore[attr-defined]
            _known(f"{path}.attr", node.attr, attributes, "attribute")  # type: ignore[attr-defined]
        elif form == "tag":
            _known(f"{path}.tag", node.tag, tags, "tag")  # type: ignore[attr-defined]
        elif form == "segment":
            _known(f"{path}.segment", node.segment, segments, "segment")  # type: ignore[attr-defined]
        elif isinstance(node, EventFilter):
            _known(f"{path}.type", node.type, event_types, "event type")


def _known(path: str, name: str, catalogue: Set[str] | None, what: str) -> None:
    if catalogue is not None and name not in catalogue:
        shown = sorted(catalogue)[:50] if len(catalogue) <= 50 else None  # noqa: PLR2004 - keep messages short
        raise invalid(path, name, f"unknown {what} {name!r}", shown)


def _nodes(node: Any, path: str) -> Iterator[tuple[str, BaseModel]]:
    """Every model inside the rule with its JSON path (aliases as users write them)."""
    if isinstance(node, BaseModel):
        yield path, node
        for name, field in type(node).model_fields.items():
            yield from _nodes(getattr(node, name), f"{path}.{field.alias or name}")
    elif isinstance(node, list | tuple):
        for index, item in enumerate(node):
            yield from _nodes(item, f"{path}[{index}]")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."  # noqa: PLR2004 - keep messages one line
