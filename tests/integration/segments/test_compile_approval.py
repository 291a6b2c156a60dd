"""Card approval windows (``approved_within_days``) compiled over the lake agree with the reference evaluator.

"Last N days" is counted on the business date of the approval instant in Asia/Shanghai, the evaluation day
being day 0, and approvals after the evaluation time never count. Evaluated at Wednesday 2026-03-18 10:00.
The store → lake path keeps approvals (``huoke lake sync``), and a holdings snapshot written before the lake
had the column still reads: nobody was approved in it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from huoke.customers.import_service import import_file
from huoke.customers.snapshot import HOLDING_FIELDS
from huoke.events import lake_service
from huoke.platform.lake import Lake
from huoke.platform.query import open_engine
from huoke.platform.runtime import Runtime
from huoke.platform.settings import Settings
from huoke.segments.compile_tables import LAKE_SCHEMAS, shaped
from huoke.segments.dsl import parse_rule
from huoke.segments.facts import CustomerFacts, HoldingFact
from huoke.segments.normalise import normalise
from huoke.segments.preview import preview
from tests.conftest import START
from tests.integration.customers import bank_files
from tests.integration.segments.lake_facts import Population, compiled_members, evaluated_members

Z = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
AS_OF = datetime(2026, 3, 18, 10, 0, tzinfo=Z)


def card(approved: datetime | None, level: str = "gold", status: str = "active") -> HoldingFact:
    opened = approved.replace(hour=0, minute=0) if approved else datetime(2024, 1, 1, tzinfo=Z)
    return HoldingFact("credit_card", "CC-COFFEE", level, "primary", status, opened_at=opened, approved_at=approved)


PEOPLE = {
    # day 60 at 00:00 Shanghai: inside "approved_within_days 61", outside 60
    "D60": CustomerFacts(Z, holdings=(card(datetime(2026, 1, 17, 0, 0, tzinfo=Z)),)),
    # 2026-01-16 16:30 UTC is 00:30 on the 17th in Shanghai: day 60 by business date (day 61 by UTC date)
    "UTC": CustomerFacts(Z, holdings=(card(datetime(2026, 1, 16, 16, 30, tzinfo=UTC)),)),
    # one minute before day 60 starts: day 61
    "D61": CustomerFacts(Z, holdings=(card(datetime(2026, 1, 16, 23, 59, tzinfo=Z)),)),
    # approved today before 10:00 (day 0); a second card today after 10:00 does not count yet
    "NOW": CustomerFacts(
        Z,
        holdings=(
            card(datetime(2026, 3, 18, 9, 59, tzinfo=Z), level="platinum"),
            card(datetime(2026, 3, 18, 10, 1, tzinfo=Z)),
        ),
    ),
    "LATER": CustomerFacts(Z, holdings=(card(datetime(2026, 3, 18, 10, 1, tzinfo=Z)),)),
    "NONE": CustomerFacts(Z, holdings=(card(None),)),
    "EMPTY": CustomerFacts(Z),
}
POPULATION = Population(PEOPLE, on_merged_unit={("UTC", "h", 0)})  # UTC's card sits on a merged-away unit

CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"holding": {"approved_within_days": 61}}, {"D60", "UTC", "NOW"}),
    ({"holding": {"approved_within_days": 60}}, {"NOW"}),
    ({"holding": {"approved_within_days": 62}}, {"D60", "UTC", "D61", "NOW"}),
    ({"holding": {"approved_within_days": 1}}, {"NOW"}),
    ({"holding": {"approved_within_days": 61, "card_level": "gold"}}, {"D60", "UTC"}),
    ({"holding": {"approved_within_days": 61}, "agg": "count", "op": "ge", "value": 2}, set()),
    ({"holding": {"product_code": "CC-COFFEE"}, "agg": "count", "op": "ge", "value": 2}, {"NOW"}),
    ({"not": {"holding": {"approved_within_days": 61}}}, {"D61", "LATER", "NONE", "EMPTY"}),
]


@pytest.mark.parametrize(("document", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_approval_windows_find_the_hand_worked_and_the_evaluated_members(
    document: dict[str, Any], expected: set[str]
) -> None:
    rule = normalise(parse_rule(document))
    assert evaluated_members(rule, PEOPLE, AS_OF) == expected
    assert compiled_members(rule, POPULATION, AS_OF) == expected


def test_a_holdings_snapshot_without_approval_times_reads_as_nobody_approved(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake", Z)
    tables = POPULATION.tables()
    older = shaped(tables["holdings"], pa.schema([f for f in HOLDING_FIELDS if f[0] != "approved_at"]))
    assert "approved_at" not in older.column_names
    lake.replace_snapshot("holdings", older)
    for name in ("customers", "org_units"):
        lake.replace_snapshot(name, shaped(tables[name], LAKE_SCHEMAS[name]))
    engine = open_engine(Settings(profile="dev", data_dir=tmp_path / "data"), lake)
    try:
        assert preview(engine, {"holding": {"approved_within_days": 61}}, AS_OF, Z)["count"] == 0
        assert preview(engine, {"holding": {"card_level": "platinum"}}, AS_OF, Z)["sample"] == ["NOW"]
        assert preview(engine, {"not": {"holding": {"approved_within_days": 61}}}, AS_OF, Z)["count"] == len(PEOPLE)
    finally:
        engine.close()


def test_approval_times_imported_into_the_store_reach_the_lake_and_count(runtime: Runtime, tmp_path: Path) -> None:
    """The store's clock is 2026-11-24 09:00 Shanghai: day 60 began at 2026-09-25 00:00 (2026-09-24 16:00 UTC)."""
    files = bank_files.write_bank(tmp_path / "bank")
    coffee = {**bank_files.HOLDINGS[2], "approved_at": "2026-09-24T16:30:00Z"}  # 00:30 on day 60 in Shanghai
    earlier = {**coffee, "account_no": "6250880000000003", "customer_no": "C1", "approved_at": "2026-09-24T23:59"}
    files["holdings"] = bank_files.write_csv(tmp_path / "holdings.csv", [coffee, earlier])
    for kind in bank_files.BANK_KINDS:
        assert import_file(runtime, kind=kind, path=files[kind], actor="test").rejected == 0, kind
    lake_service.sync_lake(runtime)

    engine = open_engine(runtime.settings)
    try:
        holdings = engine.table("holdings").to_pyarrow()
        approved = dict(zip(holdings["customer_no"].to_pylist(), holdings["approved_at"].to_pylist(), strict=True))
        assert approved == {
            "C2": datetime(2026, 9, 24, 16, 30, tzinfo=UTC),
            "C1": datetime(2026, 9, 24, 15, 59, tzinfo=UTC),
        }
        card = {"product_code": "CC-COFFEE", "card_role": "primary"}
        assert preview(engine, {"holding": {**card, "approved_within_days": 61}}, START, Z)["sample"] == ["C2"]
        assert preview(engine, {"holding": {**card, "approved_within_days": 62}}, START, Z)["sample"] == ["C1", "C2"]
    finally:
        engine.close()
