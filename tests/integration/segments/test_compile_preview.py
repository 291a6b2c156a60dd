"""Preview over a real lake: the rule's member count, a sample of customer numbers and the SQL it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from huoke.platform.errors import InvalidInput
from huoke.platform.lake import Lake
from huoke.platform.query import open_engine
from huoke.platform.settings import Settings
from huoke.segments.compile_tables import LAKE_SCHEMAS, shaped
from huoke.segments.preview import preview
from tests.integration.segments.test_compile import AS_OF, POPULATION, Z


def lake_with_population(root: Path) -> Lake:
    """The conformance population written the way the lake export writes it (no tags / memberships tables)."""
    lake = Lake(root, Z)
    tables = POPULATION.tables()
    for name in ("customers", "holdings", "org_units"):
        lake.replace_snapshot(name, shaped(tables[name], LAKE_SCHEMAS[name]))
    for name in ("events", "transactions"):
        data = shaped(tables[name], LAKE_SCHEMAS[name])
        lake.append(name, data, time_column="occurred_at", batch_key=f"test-{name}")
    return lake


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(profile="dev", data_dir=tmp_path / "data", lake_url=str(tmp_path / "lake"))
    found = open_engine(settings, lake_with_population(tmp_path / "lake"))
    yield found
    found.close()


def test_preview_counts_samples_and_shows_the_query(engine) -> None:  # type: ignore[no-untyped-def]
    spenders = {"txn": {"txn_type": "card_spend"}, "window": {"last_days": 30}, "agg": "count", "op": "ge", "value": 1}
    found = preview(engine, spenders, AS_OF, Z)
    assert found["count"] == 2
    assert found["sample"] == ["O", "Y"]
    assert "SELECT" in found["sql"]
    assert "card_spend" in found["sql"]
    assert preview(engine, '{"in_org": "HO"}', AS_OF, Z, sample=1)["sample"] == ["M"]


def test_missing_tag_and_membership_tables_read_as_empty(engine) -> None:  # type: ignore[no-untyped-def]
    assert preview(engine, {"tag": "silver"}, AS_OF, Z)["count"] == 0
    assert preview(engine, {"not": {"segment": "payroll"}}, AS_OF, Z)["count"] == 4


def test_invalid_rules_are_rejected_with_the_path(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=r"\$\.all\[0\]\.op"):
        preview(engine, {"all": [{"attr": "age", "op": "older", "value": 1}]}, AS_OF, Z)
