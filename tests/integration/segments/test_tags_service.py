"""Tag use cases on a real store (SQLite, and PostgreSQL when configured) and lake: refresh with history, rule
tags, manual imports with bad rows, and `{"tag": …}` rules seeing the tags afterwards."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huoke.customers import service as customers
from huoke.customers.import_service import import_file
from huoke.platform.clockstate import advance_clock
from huoke.platform.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from huoke.platform.lake import Lake
from huoke.platform.query import open_engine
from huoke.platform.runtime import Runtime
from huoke.segments import tag_service, tag_store
from huoke.segments.compile_tables import LAKE_SCHEMAS, shaped
from huoke.segments.preview import preview
from huoke.segments.tag_import import import_manual_tags
from huoke.segments.tag_store import TagDefinitionRow
from tests.conftest import SHANGHAI, START
from tests.integration.customers import bank_files as bank

C1_TAGS = {"lifecycle_new", "value_affluent", "age_75_plus", "active"}  # C1: 76, wealth 200,000, 15 login days
C2_TAGS = {"lifecycle_new", "value_mass", "age_30_44"}  # C2: 36, a credit card only


def one_id(runtime: Runtime, customer_no: str) -> str:
    with runtime.uow() as uow:
        return customers.units_of_customers(uow.session, [customer_no])[customer_no]


@pytest.fixture
def bank_runtime(runtime: Runtime, tmp_path: Path) -> Runtime:
    """Two customers (bank_files) in the store and the lake; C1 logged in on each of the last 15 days."""
    files = bank.write_bank(tmp_path / "files")
    for kind in bank.BANK_KINDS:
        assert import_file(runtime, kind=kind, path=files[kind]).rejected == 0
    lake = Lake.from_settings(runtime.settings)
    for name, data in customers.snapshot_tables(runtime).items():
        lake.replace_snapshot(name, data)
    write_logins(runtime, one_id(runtime, "C1"), range(15))
    return runtime


def write_logins(runtime: Runtime, owner: str, days_ago: range) -> None:
    today = START.date()
    rows = [
        {"event_id": f"{owner}-{day}", "type": "login", "one_id": owner, "properties": "{}",
         "occurred_at": datetime.combine(today - timedelta(days=day), time(8), SHANGHAI).astimezone(UTC)}
        for day in days_ago
    ]  # fmt: skip
    data = shaped(pa.Table.from_pylist(rows), LAKE_SCHEMAS["events"])
    Lake.from_settings(runtime.settings).append("events", data, time_column="occurred_at", batch_key="test-logins")


def current(runtime: Runtime, customer_no: str) -> set[str]:
    return {tag["name"] for tag in tag_service.customer_tags(runtime, customer_no=customer_no)["tags"]}


def lake_tags(runtime: Runtime) -> set[tuple[str, str]]:
    path = Lake.from_settings(runtime.settings).snapshot_path("tags")
    return {(row["one_id"], row["tag"]) for row in pq.read_table(path).to_pylist()}


def members(runtime: Runtime, rule: dict[str, Any]) -> list[str]:
    engine = open_engine(runtime.settings)
    try:
        found: list[str] = preview(engine, rule, START, SHANGHAI)["sample"]
    finally:
        engine.close()
    return found


def move_clock(runtime: Runtime, to: datetime) -> None:
    with runtime.uow() as uow:
        advance_clock(uow.session, to)
        uow.commit()


def test_a_refresh_assigns_the_computed_tags_and_rules_then_see_them(bank_runtime: Runtime) -> None:
    result = tag_service.refresh_tags(bank_runtime, actor="test")

    assert result["assigned"] == len(C1_TAGS) + len(C2_TAGS)
    assert result["removed"] == 0
    assert result["errors"] == []
    assert result["by_tag"]["lifecycle_new"] == 2
    assert current(bank_runtime, "C1") == C1_TAGS
    assert current(bank_runtime, "C2") == C2_TAGS
    c1 = one_id(bank_runtime, "C1")
    assert (c1, "active") in lake_tags(bank_runtime)
    assert members(bank_runtime, {"tag": "active"}) == ["C1"]
    assert members(bank_runtime, {"all": [{"tag": "lifecycle_new"}, {"not": {"tag": "value_affluent"}}]}) == ["C2"]
    view = tag_service.customer_tags(bank_runtime, customer_no="C1")
    assert {t["assigned_at"] for t in view["tags"]} == {"2026-11-24T09:00:00+08:00"}
    assert {t["kind"] for t in view["tags"]} == {"computed"}


def test_history_records_when_a_tag_was_assigned_and_removed(bank_runtime: Runtime) -> None:
    tag_service.refresh_tags(bank_runtime, actor="test")
    later = START + timedelta(days=40)  # no login in the last 30 days, and 40 days a customer
    move_clock(bank_runtime, later)

    second = tag_service.refresh_tags(bank_runtime, actor="test")
    third = tag_service.refresh_tags(bank_runtime, actor="test")

    assert second["removed"] == 1  # C1 is no longer active
    assert second["assigned"] == 0
    assert (third["assigned"], third["removed"]) == (0, 0)  # nothing changed: nothing recorded
    assert "active" not in current(bank_runtime, "C1")
    history = tag_service.customer_tags(bank_runtime, customer_no="C1")["history"]
    active = [row for row in history if row["name"] == "active"]
    assert len(active) == 1
    assert active[0]["assigned_at"] == "2026-11-24T09:00:00+08:00"
    assert active[0]["removed_at"] == "2027-01-03T09:00:00+08:00"
    assert active[0]["removed_by"].startswith("refresh as of 2027-01-03")
    assert all(row["removed_at"] is None for row in history if row["name"] != "active")


def test_an_evaluation_time_in_the_past_can_be_given(bank_runtime: Runtime) -> None:
    result = tag_service.refresh_tags(bank_runtime, as_of=START - timedelta(days=20), actor="test")

    assert result["as_of"] == "2026-11-04T09:00:00+08:00"
    assert "active" not in current(bank_runtime, "C1")  # the logins came later
    assert "lifecycle_new" not in current(bank_runtime, "C1")  # the customer was recorded later


def test_rule_tags_are_evaluated_after_the_tags_they_refer_to(bank_runtime: Runtime) -> None:
    wealth = {"holding": {"product_type": "wealth"}}
    tag_service.define_rule_tag(bank_runtime, name="wealth_holder", rule=wealth, actor="test")
    both = {"all": [{"tag": "active"}, {"tag": "wealth_holder"}]}
    defined = tag_service.define_rule_tag(
        bank_runtime, name="财富活跃", rule=both, description="active wealth holders", actor="test"
    )

    result = tag_service.refresh_tags(bank_runtime, actor="test")

    assert defined["version"] == 1
    assert result["by_tag"]["财富活跃"] == 1
    assert current(bank_runtime, "C1") == C1_TAGS | {"wealth_holder", "财富活跃"}
    kinds = {t["name"]: t["kind"] for t in tag_service.customer_tags(bank_runtime, customer_no="C1")["tags"]}
    assert kinds["财富活跃"] == "rule"
    assert members(bank_runtime, {"tag": "财富活跃"}) == ["C1"]


def test_redefining_a_rule_tag_versions_it_and_the_same_rule_changes_nothing(bank_runtime: Runtime) -> None:
    rule = {"attr": "city", "op": "eq", "value": "北京"}
    first = tag_service.define_rule_tag(bank_runtime, name="beijing", rule=rule, actor="test")
    same = tag_service.define_rule_tag(bank_runtime, name="beijing", rule=rule, actor="test")
    other = tag_service.define_rule_tag(
        bank_runtime, name="beijing", rule={"attr": "city", "op": "eq", "value": "上海"}, actor="test"
    )

    assert (first["version"], first["changed"]) == (1, True)
    assert (same["version"], same["changed"]) == (1, False)
    assert (other["version"], other["changed"]) == (2, True)
    tag_service.refresh_tags(bank_runtime, actor="test")
    assert "beijing" in current(bank_runtime, "C2")
    listed = {t["name"]: t for t in tag_service.list_tags(bank_runtime)["tags"]}
    assert listed["beijing"]["holders"] == 1
    assert listed["beijing"]["rule"] == {"attr": "city", "op": "eq", "value": "上海"}
    assert listed["age_60_74"]["kind"] == "computed"


@pytest.mark.parametrize(
    ("name", "rule", "code", "path"),
    [
        ("r", {"all": [{"tag": "active"}, {"attr": "age", "op": "older", "value": 3}]}, "invalid_rule", "$.all[1].op"),
        ("r", {"any": [{"tag": "no_such_tag"}]}, "invalid_rule", "$.any[0].tag"),
        ("r", {"tag": "r"}, "tag_cycle", None),
        ("r", '{"tag": ', "invalid_rule", "$"),
        ("r b", {"tag": "active"}, "bad_tag_name", None),
        ("value_gold", {"tag": "active"}, "reserved_tag_name", None),
        ("r", {"attr": "age", "op": "eq", "value": 1.00000000001}, "rule_not_compiled", None),
    ],
)
def test_an_invalid_rule_tag_is_refused_naming_the_problem(
    bank_runtime: Runtime, name: str, rule: Any, code: str, path: str | None
) -> None:
    with pytest.raises(InvalidInput) as caught:
        tag_service.define_rule_tag(bank_runtime, name=name, rule=rule, actor="test")

    assert caught.value.code == code
    if path is not None:
        assert caught.value.details["path"] == path
        assert caught.value.message.startswith(f"rule tag {name}: invalid segment rule at {path}: ")
    assert tag_service.list_tags(bank_runtime)["tags"][-1]["kind"] == "computed"  # nothing was stored


def test_rule_tags_may_not_refer_to_each_other_in_a_cycle(bank_runtime: Runtime) -> None:
    tag_service.define_rule_tag(bank_runtime, name="a", rule={"tag": "active"}, actor="test")
    tag_service.define_rule_tag(bank_runtime, name="b", rule={"tag": "a"}, actor="test")

    with pytest.raises(InvalidInput, match="a → b → a") as caught:
        tag_service.define_rule_tag(bank_runtime, name="a", rule={"not": {"tag": "b"}}, actor="test")
    assert caught.value.code == "tag_cycle"


def write_manual(path: Path, rows: list[list[str]], header: tuple[str, ...] = ("customer_no", "tag", "action")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def errors_of(summary: Any) -> list[dict[str, str]]:
    with Path(summary.errors_file).open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_manual_tags_import_with_bad_rows_reported_and_the_rest_applied(bank_runtime: Runtime, tmp_path: Path) -> None:
    tag_service.define_rule_tag(bank_runtime, name="beijing", rule={"attr": "city", "op": "eq", "value": "北京"},
                                actor="test")  # fmt: skip
    rows = [
        ["C1", "vip", "add"],
        ["C9", "vip", "add"],  # unknown customer
        ["C2", "bad tag", ""],  # bad tag name
        ["C2", "active", ""],  # a computed tag's name
        ["C2", "beijing", "add"],  # a rule tag
        ["C2", "vip", "delete"],  # unknown action
        ["C2", "高净值", ""],
    ]
    summary = import_manual_tags(bank_runtime, path=write_manual(tmp_path / "tags.csv", rows), actor="test")

    assert (summary.accepted, summary.rejected, summary.duplicates) == (2, 5, 0)
    reported = [(e["row"], e["column"], e["value"]) for e in errors_of(summary)]
    assert reported == [("3", "customer_no", "C9"), ("4", "tag", "bad tag"), ("5", "tag", "active"),
                        ("6", "tag", "beijing"), ("7", "action", "delete")]  # fmt: skip
    reasons = [e["reason"] for e in errors_of(summary)]
    assert reasons[0] == "unknown customer number: import the customer first"
    assert "reserved for computed tags" in reasons[2]
    assert "its rule decides" in reasons[3]
    assert current(bank_runtime, "C1") == {"vip"}
    assert current(bank_runtime, "C2") == {"高净值"}
    assert members(bank_runtime, {"tag": "vip"}) == ["C1"]  # the lake's tags were rewritten


def test_the_same_manual_file_again_changes_nothing_and_removal_keeps_history(
    bank_runtime: Runtime, tmp_path: Path
) -> None:
    added = write_manual(tmp_path / "add.csv", [["C1", "vip"], ["C2", "vip"]], header=("customer_no", "tag"))
    import_manual_tags(bank_runtime, path=added, actor="test")
    again = import_manual_tags(bank_runtime, path=added, actor="test")
    move_clock(bank_runtime, START + timedelta(hours=2))
    removed = import_manual_tags(bank_runtime, path=write_manual(tmp_path / "rm.csv", [["C2", "vip", "remove"]]),
                                 actor="test")  # fmt: skip
    tag_service.refresh_tags(bank_runtime, actor="test")  # a refresh leaves manual tags alone

    assert (again.accepted, again.duplicates, again.errors_file) == (0, 2, None)
    assert removed.accepted == 1
    assert "vip" in current(bank_runtime, "C1")
    assert "vip" not in current(bank_runtime, "C2")
    [period] = [r for r in tag_service.customer_tags(bank_runtime, customer_no="C2")["history"] if r["name"] == "vip"]
    assert (period["kind"], period["assigned_by"], period["removed_by"]) == (
        "manual",
        "import add.csv",
        "import rm.csv",
    )
    assert period["removed_at"] == "2026-11-24T11:00:00+08:00"
    assert members(bank_runtime, {"tag": "vip"}) == ["C1"]


def test_a_file_of_only_bad_rows_is_an_error_and_a_missing_column_too(bank_runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as all_bad:
        import_manual_tags(bank_runtime, path=write_manual(tmp_path / "bad.csv", [["C9", "vip", ""]]), actor="test")
    with pytest.raises(InvalidInput) as no_tag:
        import_manual_tags(
            bank_runtime, path=write_manual(tmp_path / "x.csv", [["C1"]], header=("customer_no",)), actor="test"
        )

    assert all_bad.value.code == "file_rejected"
    assert no_tag.value.code == "missing_columns"
    assert no_tag.value.details["missing"] == ["tag"]


def test_a_rule_tag_that_cannot_be_evaluated_keeps_its_holders_and_the_rest_proceeds(bank_runtime: Runtime) -> None:
    tag_service.define_rule_tag(bank_runtime, name="broken", rule={"tag": "active"}, actor="test")
    tag_service.refresh_tags(bank_runtime, actor="test")
    with bank_runtime.uow() as uow:  # a rule stored by some older version that no longer reads
        row = uow.session.get(TagDefinitionRow, "broken")
        assert row is not None
        row.rule = {"attr": "age", "op": "older", "value": 3}
        uow.commit()
    move_clock(bank_runtime, START + timedelta(days=40))

    result = tag_service.refresh_tags(bank_runtime, actor="test")

    assert [e["tag"] for e in result["errors"]] == ["broken"]
    assert "$.op" in result["errors"][0]["reason"]
    assert "broken" in current(bank_runtime, "C1")  # kept as it was
    assert "active" not in current(bank_runtime, "C1")  # the other tags were refreshed
    assert (one_id(bank_runtime, "C1"), "broken") in lake_tags(bank_runtime)


def test_the_customer_360_section_lists_the_tags_held_now(bank_runtime: Runtime, tmp_path: Path) -> None:
    import_manual_tags(bank_runtime, path=write_manual(tmp_path / "t.csv", [["C2", "vip", "add"]]), actor="test")

    section = tag_service.tags_section(bank_runtime, one_id(bank_runtime, "C2"))

    assert section == [{"name": "vip", "kind": "manual", "assigned_at": "2026-11-24T09:00:00+08:00"}]
    with pytest.raises(Conflict):
        tag_service.define_rule_tag(bank_runtime, name="vip", rule={"tag": "active"}, actor="test")


def test_thresholds_come_from_tags_toml_in_the_data_dir(bank_runtime: Runtime) -> None:
    settings = bank_runtime.settings
    (settings.data_dir / "tags.toml").write_text("[value_tier.floors]\nmass = 0\nrich = 100000\n", encoding="utf-8")

    tag_service.refresh_tags(bank_runtime, actor="test")

    assert "value_rich" in current(bank_runtime, "C1")
    (settings.data_dir / "tags.toml").write_text("[age]\nbands = [60, 18]\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"tags\.toml: tag thresholds at age"):
        tag_service.refresh_tags(bank_runtime, actor="test")
    (settings.data_dir / "tags.toml").write_text("[age\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"tags\.toml"):
        tag_service.refresh_tags(bank_runtime, actor="test")


def test_an_unknown_customer_has_no_tags_to_list(bank_runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="no customer with customer_no C9"):
        tag_service.customer_tags(bank_runtime, customer_no="C9")
    with pytest.raises(NotFound):
        tag_service.customer_tags(bank_runtime, one_id="nobody")


def test_the_store_holds_at_most_one_open_row_per_customer_and_tag(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        tag_store.assign(uow.session, [("u1", "vip", "manual")], at=START, by="test")
        tag_store.close_ids(uow.session, [1], at=START, by="test")
        tag_store.assign(uow.session, [("u1", "vip", "manual"), ("u2", "vip", "manual")], at=START, by="test")
        uow.commit()
    with runtime.uow() as uow:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's error on PostgreSQL's COPY
            tag_store.assign(uow.session, [("u1", "vip", "manual")], at=START, by="test")
        assert tag_store.duplicate_open_row(caught.value)
