"""A segment preview: how many customers a rule finds in the lake right now, a few of them, and the query it runs."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import ibis  # type: ignore[import-untyped]

from huoke.platform.query import QueryEngine
from huoke.segments.compile import compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.core import Core
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise

SAMPLE_SIZE = 10


def preview(
    engine: QueryEngine, rule_json: Any, as_of: datetime, zone: tzinfo, sample: int = SAMPLE_SIZE
) -> dict[str, Any]:
    """``count`` of members at ``as_of``, a ``sample`` of their customer numbers (sorted), and the ``sql`` text.

    The rule is validated first (``InvalidInput`` names the path at fault); business dates are in ``zone``.
    """
    return preview_tree(engine, normalise(parse_rule(rule_json)), as_of, zone, sample)


def preview_tree(
    engine: QueryEngine, tree: Core, as_of: datetime, zone: tzinfo, sample: int = SAMPLE_SIZE
) -> dict[str, Any]:
    """``preview`` of a normalised tree whose segment references are resolved already."""
    tables = Tables.from_engine(engine)
    members = compile_rule(tree, tables, as_of, zone)
    customers = tables.customers
    numbered = members.join(customers, members.one_id == customers.one_id).select(customers.customer_no)
    count = int(engine.backend.to_pyarrow(members.count()).as_py())
    first = numbered.filter(numbered.customer_no.notnull()).order_by("customer_no").limit(sample)
    numbers = engine.backend.to_pyarrow(first).column("customer_no").to_pylist()
    return {"count": count, "sample": numbers, "sql": str(ibis.to_sql(members, dialect=engine.kind))}
