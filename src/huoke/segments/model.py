"""Pure decisions about saved segments: names, references between segments, real-time eligibility, schedules
and membership diffs. No I/O here; the service reads and writes, this module decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from croniter import croniter

from huoke.platform.errors import InvalidInput
from huoke.segments import core
from huoke.segments.core import Core
from huoke.segments.normalise import normalise

NAME_PATTERN = re.compile(r"^[^\s\x00-\x1f/\\]{1,64}$")
SCHEDULE_MAX = 120
REALTIME_LEAVES = (core.AttrTest, core.InOrg, core.HoldingAgg, core.TxnAgg, core.EventAgg, core.DidNot)
_CALENDAR_DAYS = {"this_week": 7, "last_week": 14, "this_month": 31, "last_month": 62, "this_year": 366}


def check_name(name: str) -> str:
    """A segment name: 1 to 64 characters, no spaces, control characters or slashes (it appears in paths)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidInput(
            f"segment name {name!r} must be 1 to 64 characters with no spaces, slashes or control characters",
            code="bad_segment_name",
        )
    return name


def references(tree: Core) -> set[str]:
    """The names of the saved segments a core tree refers to directly."""
    if isinstance(tree, core.And | core.Or):
        return set().union(*(references(item) for item in tree.items))
    if isinstance(tree, core.Not):
        return references(tree.item)
    return {tree.name} if isinstance(tree, core.InSegment) else set()


def find_cycle(name: str, refers: Callable[[str], Collection[str]]) -> list[str] | None:
    """A chain of references from ``name`` back to itself (``[name, …, name]``), or None when there is none."""
    path = [name]
    seen: set[str] = set()

    def walk(current: str) -> list[str] | None:
        for target in sorted(refers(current)):
            if target == name:
                return [*path, name]
            if target in seen:
                continue
            seen.add(target)
            path.append(target)
            found = walk(target)
            if found:
                return found
            path.pop()
        return None

    return walk(name)


def inline(tree: Core, definitions: Mapping[str, Core]) -> Core:
    """The tree with every ``{"segment": S}`` replaced by S's own tree (recursively), normalised again.

    ``definitions`` must hold every segment reachable from ``tree``; cycles must have been rejected before.
    """
    return normalise(_substitute(tree, definitions, ()))


def _substitute(node: Core, definitions: Mapping[str, Core], trail: tuple[str, ...]) -> Core:
    if isinstance(node, core.And | core.Or):
        return replace(node, items=tuple(_substitute(item, definitions, trail) for item in node.items))
    if isinstance(node, core.Not):
        return core.Not(_substitute(node.item, definitions, trail))
    if isinstance(node, core.InSegment):
        if node.name in trail:
            raise InvalidInput(f"segment references form a cycle: {' → '.join([*trail, node.name])}", code="cycle")
        return _substitute(definitions[node.name], definitions, (*trail, node.name))
    return node


def realtime_capable(tree: Core, retention_days: int) -> bool:
    """Whether a customer's own profile, holdings and live rows (kept ``retention_days``) decide the rule, so
    it can be re-evaluated for one customer when their event arrives. Tags and segment references are not."""
    if isinstance(tree, core.And | core.Or):
        return all(realtime_capable(item, retention_days) for item in tree.items)
    if isinstance(tree, core.Not):
        return realtime_capable(tree.item, retention_days)
    if not isinstance(tree, REALTIME_LEAVES):
        return False
    window = getattr(tree, "window", None)
    return window is None or _window_days(window) <= retention_days


def _window_days(window: core.Period) -> int:
    if window.kind == "last_days" and window.days is not None:
        return window.days + 1  # a `did` may look back its hours past the window; one more day covers 24 h
    if window.kind == "calendar" and window.calendar is not None:
        return _CALENDAR_DAYS[window.calendar]
    return 1 << 30  # fixed date ranges may lie anywhere in the past


@dataclass(frozen=True)
class MembershipChange:
    """Who enters and who leaves when a segment's stored members are replaced by the new ones."""

    entered: list[str]
    exited: list[str]


def membership_change(stored: Collection[str], found: Collection[str]) -> MembershipChange:
    """The difference between the stored members and the members just found, each list sorted."""
    before, after = set(stored), set(found)
    return MembershipChange(entered=sorted(after - before), exited=sorted(before - after))


def check_schedule(expression: str | None) -> str | None:
    """A cron expression (five fields, read in the business time zone), or None for refresh on demand only."""
    if expression is None:
        return None
    text = expression.strip()
    if not text or len(text) > SCHEDULE_MAX or len(text.split()) != 5 or not croniter.is_valid(text):  # noqa: PLR2004
        raise InvalidInput(
            f"schedule {expression!r} is not a cron expression of five fields (minute hour day month weekday),"
            " e.g. '0 6 * * *' for 06:00 every day in the business time zone",
            code="bad_schedule",
        )
    return text


def next_run(expression: str, after: datetime, zone: tzinfo) -> datetime:
    """The first time strictly after ``after`` that the cron expression names, read in ``zone`` (aware, UTC)."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    local = after.astimezone(zone)
    found: datetime = croniter(expression, local).get_next(datetime)
    return found.astimezone(after.tzinfo)


def trigger_topics(tree: Core) -> set[str]:
    """The work-queue topics whose arrival can change a customer's membership in a rule: ``event.<type>`` for
    the events it reads, ``transaction.<type>`` (or ``transaction.*``) for the transactions it reads."""
    if isinstance(tree, core.And | core.Or):
        return set().union(*(trigger_topics(item) for item in tree.items))
    if isinstance(tree, core.Not):
        return trigger_topics(tree.item)
    if isinstance(tree, core.TxnAgg | core.EventAgg):
        return _topics_of(tree.match)
    if isinstance(tree, core.DidNot):
        return _topics_of(tree.did) | _topics_of(tree.then_not)
    return set()


def _topics_of(match: core.TxnMatch | core.EventMatch) -> set[str]:
    if isinstance(match, core.EventMatch):
        return {f"event.{match.type}"}
    return {f"transaction.{t}" for t in match.txn_type} if match.txn_type else {"transaction.*"}


def topic_wanted(topic: str, wanted: Collection[str]) -> bool:
    """Whether TOPIC is among WANTED, named exactly or by a ``prefix.*`` pattern."""
    return topic in wanted or any(w.endswith(".*") and topic.startswith(w[:-1]) for w in wanted)


def recheck_hours(tree: Core, topic: str) -> set[int]:
    """For each ``did … then_not … within_hours H`` whose ``did`` an item on TOPIC may be: H. The customer must be
    evaluated again H hours after such an item, when it may start to count."""
    if isinstance(tree, core.And | core.Or):
        return set().union(*(recheck_hours(item, topic) for item in tree.items))
    if isinstance(tree, core.Not):
        return recheck_hours(tree.item, topic)
    if isinstance(tree, core.DidNot) and topic_wanted(topic, _topics_of(tree.did)):
        return {tree.hours}
    return set()
