"""Test helper: one population of customers as evaluator facts AND as lake tables, so both answers can be compared.

Each customer is a profile whose id is its key; rows can also sit on a second identity unit merged into it
(``<key>~m``), which the compiler must count for the profile. Holdings are opened at midnight business time
(the lake keeps business dates); approval instants are kept as they are.
Org units: HO > BR01 > SB1, SB2 and HO > BR02 > SB3.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ibis  # type: ignore[import-untyped]
import pyarrow as pa

from huoke.segments.compile import Tables, compile_rule
from huoke.segments.core import Core
from huoke.segments.evaluate import evaluate
from huoke.segments.facts import CustomerFacts
from huoke.segments.operators import STANDARD_ATTRIBUTES

ORG_TREE = {"HO": None, "BR01": "HO", "SB1": "BR01", "SB2": "BR01", "BR02": "HO", "SB3": "BR02"}
COLUMNS = [name for name in STANDARD_ATTRIBUTES if name not in ("age", "customer_no")]


def org_path(code: str | None) -> tuple[str, ...]:
    """The branch and its ancestors, as the evaluator's facts carry them."""
    path: list[str] = []
    while code is not None and code in ORG_TREE:
        path.append(code)
        code = ORG_TREE[code]
    return tuple(path)


def _path_text(code: str) -> str:
    return "/" + "/".join(reversed(org_path(code))) + "/"


@dataclass
class Population:
    """Customers by key; ``on_merged_unit`` names (key, kind, index) rows recorded on the merged unit."""

    customers: Mapping[str, CustomerFacts]
    on_merged_unit: set[tuple[str, str, int]] = field(default_factory=set)

    def tables(self) -> dict[str, pa.Table]:
        rows: dict[str, list[dict[str, Any]]] = {n: [] for n in ("customers", "holdings", "events", "transactions")}
        rows |= {"tags": [], "memberships": []}
        for key, facts in self.customers.items():
            self._add(key, facts, rows)
        org = [
            {"code": c, "name": c, "parent_code": p, "level": "x", "path": _path_text(c)} for c, p in ORG_TREE.items()
        ]
        return {name: pa.Table.from_pylist(found) for name, found in rows.items() if found} | {
            "org_units": pa.Table.from_pylist(org)
        }

    def _unit(self, key: str, kind: str, index: int) -> str:
        return f"{key}~m" if (key, kind, index) in self.on_merged_unit else key

    def _add(self, key: str, facts: CustomerFacts, rows: dict[str, list[dict[str, Any]]]) -> None:
        attrs = dict(facts.attributes)
        custom = {k: v for k, v in attrs.items() if k not in STANDARD_ATTRIBUTES}
        profile = {name: attrs.get(name) for name in COLUMNS}
        rows["customers"].append(
            {
                "one_id": key,
                "customer_no": key,
                "status": "active",
                "merged_into": None,
                **profile,
                "attributes": json.dumps(custom),
            }
        )
        rows["customers"].append({"one_id": f"{key}~m", "status": "merged", "merged_into": key, "attributes": "{}"})
        rows["tags"] += [{"one_id": key, "tag": t} for t in facts.tags]
        rows["memberships"] += [{"one_id": key, "segment": s} for s in facts.segments]
        for i, h in enumerate(facts.holdings):
            opened = h.opened_at.astimezone(facts.zone).date() if h.opened_at else None
            rows["holdings"].append(
                {
                    "one_id": self._unit(key, "h", i),
                    "product_type": h.product_type,
                    "product_code": h.product_code,
                    "card_level": h.card_level,
                    "card_role": h.card_role,
                    "status": h.status,
                    "opened_at": opened,
                    "balance_fen": h.balance_fen,
                    "approved_at": h.approved_at.astimezone(UTC) if h.approved_at else None,
                }
            )
        for i, t in enumerate(facts.transactions):
            rows["transactions"].append(
                {
                    "txn_id": f"{key}-t{i}",
                    "one_id": self._unit(key, "t", i),
                    "occurred_at": t.occurred_at.astimezone(UTC),
                    "amount_fen": t.amount_fen,
                    "direction": t.direction,
                    "txn_type": t.txn_type,
                    "channel": t.channel,
                    "mcc": t.mcc,
                    "product_code": t.product_code,
                }
            )
        for i, e in enumerate(facts.events):
            rows["events"].append(
                {
                    "event_id": f"{key}-e{i}",
                    "one_id": self._unit(key, "e", i),
                    "type": e.type,
                    "occurred_at": e.occurred_at.astimezone(UTC),
                    "properties": json.dumps(dict(e.properties)),
                }
            )


def compiled_members(rule: Core, population: Population, as_of: datetime) -> set[str]:
    """The members the compiled query finds over the population's lake tables (in-memory DuckDB)."""
    backend = ibis.duckdb.connect()
    try:
        tables = Tables.from_arrow(population.tables())
        zone = next(iter(population.customers.values())).zone
        result = backend.to_pyarrow(compile_rule(rule, tables, as_of, zone))
        return set(result.column("one_id").to_pylist())
    finally:
        backend.disconnect()


def evaluated_members(rule: Core, customers: Mapping[str, CustomerFacts], as_of: datetime) -> set[str]:
    """The members by the reference evaluator."""
    return {key for key, facts in customers.items() if evaluate(rule, facts, as_of)}


def keys(items: Iterable[str]) -> set[str]:
    return set(items)
