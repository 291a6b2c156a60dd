"""Saved segment definitions as the store holds them, and the checks every saved rule passes.

A rule is checked against the catalogues (custom attributes, tags, saved segments, event types) so a typo is an
error with its JSON path, never an empty segment; references to other segments must exist and must not come back
to the segment itself. Callers own the transaction: everything here works in the session they pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.events import catalogue
from huoke.events.store import EventTypeRow
from huoke.platform.errors import InvalidInput, NotFound
from huoke.segments.core import Core
from huoke.segments.dsl import parse_rule
from huoke.segments.model import find_cycle, inline, references
from huoke.segments.normalise import normalise
from huoke.segments.operators import STANDARD_ATTRIBUTES
from huoke.segments.store import SegmentRow


@dataclass(frozen=True)
class Definition:
    """A saved segment's current rule as a normalised tree, with its id and version."""

    id: int
    name: str
    version: int
    tree: Core
    realtime: bool


def load_definitions(session: Session) -> dict[str, Definition]:
    """Every saved segment by name (rules stored are valid: they were checked when saved)."""
    rows = session.scalars(select(SegmentRow).order_by(SegmentRow.name))
    return {
        row.name: Definition(row.id, row.name, row.version, normalise(parse_rule(row.rule)), row.realtime)
        for row in rows
    }


def segment_row(session: Session, name: str, *, lock: bool = False) -> SegmentRow:
    """The stored segment called ``name`` (locked for update when asked); NotFound names it otherwise."""
    query = select(SegmentRow).where(SegmentRow.name == name)
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"no saved segment is called {name!r}", code="segment_not_found", details={"segment": name})
    return row


def checked_tree(
    session: Session, name: str | None, rule: Any, saved: Mapping[str, Definition], tags: set[str] | None
) -> Core:
    """The rule's normalised tree once it passes every check; ``name`` is the segment it is saved as (if any)."""
    known_segments = set(saved) | ({name} if name else set())
    parsed = parse_rule(
        rule,
        known_attributes=set(STANDARD_ATTRIBUTES) | customers.custom_attribute_names(session),
        known_tags=tags,
        known_segments=known_segments,
        known_event_types=_event_types(session),
    )
    tree = normalise(parsed)
    if name is not None:
        _refuse_cycles(name, tree, saved, rule)
    return tree


def resolved(tree: Core, saved: Mapping[str, Definition]) -> Core:
    """The tree with every segment reference replaced by that segment's current rule."""
    return inline(tree, {name: definition.tree for name, definition in saved.items()})


def _refuse_cycles(name: str, tree: Core, saved: Mapping[str, Definition], rule: Any) -> None:
    def refers(current: str) -> set[str]:
        if current == name:
            return references(tree)
        found = saved.get(current)
        return references(found.tree) if found else set()

    cycle = find_cycle(name, refers)
    if cycle is None:
        return
    path = _reference_path(rule, cycle[1]) or "$"
    chain = " → ".join(cycle)
    raise InvalidInput(
        f"invalid segment rule at {path}: segment references form a cycle ({chain})",
        code="segment_cycle",
        details={"path": path, "value": cycle[1], "reason": f"segment references form a cycle ({chain})"},
    )


def _reference_path(node: Any, target: str, path: str = "$") -> str | None:
    """The JSON path of the first ``{"segment": target}`` in a rule document."""
    if isinstance(node, dict):
        if node.get("segment") == target:
            return path
        for key, value in node.items():
            found = _reference_path(value, target, f"{path}.{key}")
            if found:
                return found
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found = _reference_path(item, target, f"{path}[{index}]")
            if found:
                return found
    return None


def _event_types(session: Session) -> set[str]:
    return set(catalogue.STANDARD_SCHEMAS) | set(session.scalars(select(EventTypeRow.name)))
