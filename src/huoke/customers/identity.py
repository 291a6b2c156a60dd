"""ONE_ID resolution: decide which origin profiles describe the same person.

Pure: identity units (everything one origin profile says about a person) in, a partition into
groups plus the conflicts an operator should review out. No database, no clock, no I/O, so the
rules can be tested exhaustively and re-run at any time to reconcile stored merges.

Strong keys (customer number, resident ID) anchor a person; medium and weak keys only attach
anonymous units to an anchor when exactly one anchor is reachable. Two anchored groups are never
merged except through a strong key, because a wrong merge in a bank leaks one customer's data to another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal


class Strength(StrEnum):
    """How much a key on its own says about who a person is."""

    STRONG = "strong"
    MEDIUM = "medium"
    WEAK = "weak"


class ConflictReason(StrEnum):
    """Why a set of units needs human review."""

    MULTIPLE_STRONG_VALUES = "multiple_strong_values"
    STRONG_KEY_SHARED = "strong_key_shared"
    MEDIUM_KEY_SHARED = "medium_key_shared"
    WEAK_KEY_SHARED = "weak_key_shared"


CUSTOMER_NO = "customer_no"
RESIDENT_ID = "resident_id"

STRENGTH: Mapping[str, Strength] = MappingProxyType(
    {
        CUSTOMER_NO: Strength.STRONG,
        RESIDENT_ID: Strength.STRONG,
        "phone": Strength.MEDIUM,
        "email": Strength.MEDIUM,
        "wechat_unionid": Strength.MEDIUM,
        "wechat_openid": Strength.WEAK,
        "device_id": Strength.WEAK,
        "wecom_external_id": Strength.WEAK,
    }
)

_SHARED_REASON = {
    Strength.MEDIUM: ConflictReason.MEDIUM_KEY_SHARED,
    Strength.WEAK: ConflictReason.WEAK_KEY_SHARED,
}


@dataclass(frozen=True, order=True)
class IdentityKey:
    """One identifying value; `value` is opaque (a blind-index HMAC in production)."""

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in STRENGTH:
            raise ValueError(f"unknown identity key kind {self.kind!r}; use one of {', '.join(STRENGTH)}")

    @property
    def strength(self) -> Strength:
        return STRENGTH[self.kind]


@dataclass(frozen=True)
class IdentityUnit:
    """Everything one origin profile says about a person; lower `rank` means created earlier."""

    unit_id: str
    keys: frozenset[IdentityKey]
    rank: int

    def of_kind(self, kind: str) -> frozenset[IdentityKey]:
        return frozenset(k for k in self.keys if k.kind == kind)

    @property
    def is_strong(self) -> bool:
        return any(k.strength is Strength.STRONG for k in self.keys)

    @property
    def age_order(self) -> tuple[int, str]:
        return (self.rank, self.unit_id)


@dataclass(frozen=True, order=True)
class IdentityConflict:
    """A key whose evidence is contradictory: `anchors` are the groups involved, `unit_ids` the units."""

    reason: ConflictReason
    key: IdentityKey
    anchors: tuple[IdentityKey, ...]
    unit_ids: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """One person: `survivor` is the unit whose profile id the merged profile keeps."""

    survivor: str
    unit_ids: frozenset[str]
    anchor: IdentityKey | None


@dataclass(frozen=True)
class Partition:
    """All units split into groups (sorted by survivor), with the conflicts found on the way."""

    groups: tuple[Group, ...]
    conflicts: tuple[IdentityConflict, ...]
    _index: Mapping[str, Group] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {unit_id: group for group in self.groups for unit_id in group.unit_ids}
        object.__setattr__(self, "_index", MappingProxyType(index))

    def group_of(self, unit_id: str) -> Group:
        """The group holding `unit_id`; KeyError if the unit was not partitioned."""
        try:
            return self._index[unit_id]
        except KeyError:
            raise KeyError(f"unit {unit_id!r} is not in this partition") from None


@dataclass(frozen=True)
class Reassignment:
    """A unit that must move from one merged profile to another."""

    unit_id: str
    from_profile: str
    to_profile: str
    kind: Literal["merge", "unmerge"]


# Conflicts found while partitioning, keyed by (reason, key) so repeated findings fold into one.
_Findings = dict[tuple[ConflictReason, IdentityKey], tuple[set[IdentityKey], set[str]]]
# For each medium or weak key: the (anchor, unit id) pairs of strongly anchored units carrying it.
_Carriers = dict[IdentityKey, set[tuple[IdentityKey, str]]]


def partition(units: Iterable[IdentityUnit]) -> Partition:
    """Group units into persons by the ONE_ID rules; depends only on the set of units given."""
    ordered = _distinct(units)
    findings: _Findings = {}
    anchor_of = _anchor_strong(ordered, findings)
    carriers = _anchored_carriers(ordered, anchor_of)
    _record_shared_keys(carriers, findings)
    members: dict[IdentityKey, list[IdentityUnit]] = defaultdict(list)
    anonymous: list[list[IdentityUnit]] = []
    for unit in ordered:
        if unit.unit_id in anchor_of:
            members[anchor_of[unit.unit_id]].append(unit)
    for component in _components([u for u in ordered if u.unit_id not in anchor_of]):
        target = _attach(component, carriers, findings)
        if target is None:
            anonymous.append(component)
        else:
            members[target].extend(component)
    groups = [_group(found, anchor) for anchor, found in members.items()]
    groups += [_group(component, None) for component in anonymous]
    return Partition(tuple(sorted(groups, key=lambda g: g.survivor)), _conflicts(findings))


def reconcile(current: Mapping[str, str], partition: Partition) -> tuple[Reassignment, ...]:
    """The moves that turn the `current` unit → profile assignment into the partition's one.

    Units missing from `current` are new and count as unmerged (mapped to themselves).
    """
    moves = []
    for group in partition.groups:
        for unit_id in group.unit_ids:
            before = current.get(unit_id, unit_id)
            if before != group.survivor:
                kind: Literal["merge", "unmerge"] = "unmerge" if group.survivor == unit_id else "merge"
                moves.append(Reassignment(unit_id, before, group.survivor, kind))
    return tuple(sorted(moves, key=lambda move: move.unit_id))


def _distinct(units: Iterable[IdentityUnit]) -> list[IdentityUnit]:
    """Units sorted by id; an id used for two different units is a caller bug, so it fails loudly."""
    by_id: dict[str, IdentityUnit] = {}
    for unit in units:
        if by_id.setdefault(unit.unit_id, unit) != unit:
            raise ValueError(f"unit id {unit.unit_id!r} is used by two different units; unit ids must be unique")
    return [by_id[unit_id] for unit_id in sorted(by_id)]


def _note(
    findings: _Findings,
    reason: ConflictReason,
    key: IdentityKey,
    anchors: Iterable[IdentityKey],
    unit_ids: Iterable[str],
) -> None:
    seen_anchors, seen_units = findings.setdefault((reason, key), (set(), set()))
    seen_anchors.update(anchors)
    seen_units.update(unit_ids)


def _conflicts(findings: _Findings) -> tuple[IdentityConflict, ...]:
    return tuple(
        IdentityConflict(reason, key, tuple(sorted(anchors)), tuple(sorted(unit_ids)))
        for (reason, key), (anchors, unit_ids) in sorted(findings.items(), key=lambda item: item[0])
    )


def _anchor_strong(units: Sequence[IdentityUnit], findings: _Findings) -> dict[str, IdentityKey]:
    """Anchor of every unit carrying a strong key (rules 1 and 2)."""
    anchor_of: dict[str, IdentityKey] = {}
    for unit in units:
        numbers = unit.of_kind(CUSTOMER_NO)
        if numbers:
            anchor_of[unit.unit_id] = min(numbers)
        if len(numbers) > 1:
            for number in numbers:
                _note(findings, ConflictReason.MULTIPLE_STRONG_VALUES, number, [min(numbers)], [unit.unit_id])
    links = _resident_links(units, anchor_of, findings)
    for unit in units:
        resident_ids = unit.of_kind(RESIDENT_ID)
        if resident_ids and unit.unit_id not in anchor_of:
            # An unlinked or shared resident ID anchors its own group.
            anchor_of[unit.unit_id] = min(links.get(rid, rid) for rid in resident_ids)
    _record_multiple_resident_ids(units, anchor_of, findings)
    return anchor_of


def _resident_links(
    units: Sequence[IdentityUnit], number_anchor: Mapping[str, IdentityKey], findings: _Findings
) -> dict[IdentityKey, IdentityKey]:
    """Resident IDs carried under exactly one customer number link to it; shared ones are conflicts."""
    holders: dict[IdentityKey, set[IdentityKey]] = defaultdict(set)
    carriers: dict[IdentityKey, set[str]] = defaultdict(set)
    for unit in units:
        for rid in unit.of_kind(RESIDENT_ID):
            carriers[rid].add(unit.unit_id)
            if unit.unit_id in number_anchor:
                holders[rid].add(number_anchor[unit.unit_id])
    for rid, anchors in holders.items():
        if len(anchors) > 1:
            _note(findings, ConflictReason.STRONG_KEY_SHARED, rid, anchors, carriers[rid])
    return {rid: min(anchors) for rid, anchors in holders.items() if len(anchors) == 1}


def _record_multiple_resident_ids(
    units: Sequence[IdentityUnit], anchor_of: Mapping[str, IdentityKey], findings: _Findings
) -> None:
    """One person has one resident ID: a group carrying several is kept whole but flagged."""
    seen: dict[IdentityKey, dict[IdentityKey, set[str]]] = defaultdict(lambda: defaultdict(set))
    for unit in units:
        for rid in unit.of_kind(RESIDENT_ID):
            seen[anchor_of[unit.unit_id]][rid].add(unit.unit_id)
    for anchor, by_rid in seen.items():
        if len(by_rid) > 1:
            for rid, unit_ids in by_rid.items():
                _note(findings, ConflictReason.MULTIPLE_STRONG_VALUES, rid, [anchor], unit_ids)


def _anchored_carriers(units: Sequence[IdentityUnit], anchor_of: Mapping[str, IdentityKey]) -> _Carriers:
    """Which anchors each medium or weak key is seen on; rule 4 and 5 both read this."""
    carriers: _Carriers = defaultdict(set)
    for unit in units:
        if unit.unit_id in anchor_of:
            for key in unit.keys:
                if key.strength is not Strength.STRONG:
                    carriers[key].add((anchor_of[unit.unit_id], unit.unit_id))
    return carriers


def _record_shared_keys(carriers: _Carriers, findings: _Findings) -> None:
    """Rule 5: a medium or weak key on several anchors (a family phone) is flagged, never acted on."""
    for key, pairs in carriers.items():
        anchors = {anchor for anchor, _ in pairs}
        if len(anchors) > 1:
            _note(findings, _SHARED_REASON[key.strength], key, anchors, [unit_id for _, unit_id in pairs])


def _components(units: Sequence[IdentityUnit]) -> list[list[IdentityUnit]]:
    """Connected components of units linked by any shared key (callers pass unanchored units only)."""
    by_key: dict[IdentityKey, list[IdentityUnit]] = defaultdict(list)
    for unit in units:
        for key in unit.keys:
            by_key[key].append(unit)
    seen: set[str] = set()
    components = []
    for start in units:
        if start.unit_id in seen:
            continue
        seen.add(start.unit_id)
        component, frontier = [], [start]
        while frontier:
            unit = frontier.pop()
            component.append(unit)
            fresh = [n for key in unit.keys for n in by_key[key] if n.unit_id not in seen]
            seen.update(n.unit_id for n in fresh)
            frontier.extend(fresh)
        components.append(component)
    return components


def _attach(component: Sequence[IdentityUnit], carriers: _Carriers, findings: _Findings) -> IdentityKey | None:
    """Rule 4: the one anchor an anonymous component joins, or None (with a conflict if ambiguous)."""
    keys = {key for unit in component for key in unit.keys}
    for strength in (Strength.MEDIUM, Strength.WEAK):
        bridges = {key: carriers[key] for key in keys if key.strength is strength and key in carriers}
        reached = {anchor for pairs in bridges.values() for anchor, _ in pairs}
        if len(reached) == 1:
            return reached.pop()
        if reached:
            for key, pairs in bridges.items():
                involved = [unit_id for _, unit_id in pairs] + [unit.unit_id for unit in component]
                _note(findings, _SHARED_REASON[strength], key, reached, involved)
            return None
    return None


def _group(units: Sequence[IdentityUnit], anchor: IdentityKey | None) -> Group:
    """A group whose survivor is the oldest strong-key unit, else the oldest unit."""
    candidates = [unit for unit in units if unit.is_strong] or list(units)
    survivor = min(candidates, key=lambda unit: unit.age_order)
    return Group(survivor.unit_id, frozenset(unit.unit_id for unit in units), anchor)
