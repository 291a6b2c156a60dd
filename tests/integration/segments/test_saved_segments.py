"""Saved segments on the store and the lake: versions, refresh diffs and their messages, references, schedules.

The small test bank: C1 (张三, male, born 1949-12-31, Beijing, 200,000 yuan in wealth) and C2 (李娜, female,
born 1990-01-01, Shanghai, with a co-brand card), both in sub-branch SB01 under branch BR01.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.events.lake_service import sync_lake
from huoke.platform.errors import Conflict, InvalidInput, NotFound
from huoke.platform.runtime import Runtime
from huoke.platform.service import Platform
from huoke.platform.work import Subscriber, Subscriptions, WorkItem, enqueue
from huoke.platform.worker import WorkQueue
from huoke.segments import membership, service
from huoke.segments.refresh import next_scheduled, refresh_segments, run_scheduled
from huoke.segments.store import SegmentMemberRow, SegmentRefreshRow, SegmentRow
from tests.conftest import START
from tests.integration.customers import bank_files as bank

SENIORS = {"attr": "age", "op": "ge", "value": 60}
WOMEN = {"attr": "gender", "op": "eq", "value": "F"}
IN_BR01 = {"in_org": "BR01"}


class Journeys:
    """Stands in for the journeys context: records each segment message it is handed."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.keys: Counter[str] = Counter()

    def __call__(self, session: Session, item: WorkItem, now: datetime) -> None:
        self.seen.append({"topic": item.topic, **item.payload})
        self.keys[item.key] += 1

    def changes(self) -> list[tuple[str, str, str, int]]:
        return sorted((m["segment"], m["change"], m["one_id"], m["version"]) for m in self.seen)


@pytest.fixture
def bank_runtime(runtime: Runtime, tmp_path: Path) -> Runtime:
    bank.import_bank(runtime, tmp_path / "bank")
    return runtime


@pytest.fixture
def journeys() -> Journeys:
    return Journeys()


@pytest.fixture
def queue(bank_runtime: Runtime, journeys: Journeys) -> WorkQueue:
    topics = frozenset({membership.ENTERED, membership.EXITED})
    return WorkQueue(bank_runtime, Subscriptions([Subscriber("test.journeys", topics, journeys)]))


def one_id_of(runtime: Runtime, customer_no: str) -> str:
    with runtime.uow() as uow:
        return customers.units_of_customers(uow.session, [customer_no])[customer_no]


def refresh(runtime: Runtime, queue: WorkQueue, *names: str, as_of: datetime | None = None) -> list[dict[str, Any]]:
    results = refresh_segments(runtime, queue.subscriptions, names=names, as_of=as_of)
    queue.drain(START + timedelta(days=400))
    return results


def test_a_refresh_stores_members_and_publishes_each_entry_once(
    bank_runtime: Runtime, queue: WorkQueue, journeys: Journeys
) -> None:
    service.create_segment(bank_runtime, name="seniors", rule=SENIORS)
    [first] = refresh(bank_runtime, queue, "seniors")
    [again] = refresh(bank_runtime, queue, "seniors")

    c1 = one_id_of(bank_runtime, "C1")
    assert (first["count"], first["entered"], first["exited"]) == (1, 1, 0)
    assert (again["count"], again["entered"], again["exited"]) == (1, 0, 0)
    assert journeys.changes() == [("seniors", "entered", c1, 1)]
    assert service.segment_members(bank_runtime, name="seniors")["customer_nos"] == ["C1"]


def test_a_new_version_publishes_the_difference_under_that_version(
    bank_runtime: Runtime, queue: WorkQueue, journeys: Journeys
) -> None:
    service.create_segment(bank_runtime, name="target", rule=SENIORS)
    refresh(bank_runtime, queue, "target")
    updated = service.update_segment(bank_runtime, name="target", rule=WOMEN)
    refresh(bank_runtime, queue, "target")

    c1, c2 = one_id_of(bank_runtime, "C1"), one_id_of(bank_runtime, "C2")
    assert updated["version"] == 2
    assert journeys.changes() == sorted(
        [("target", "entered", c1, 1), ("target", "exited", c1, 2), ("target", "entered", c2, 2)]
    )
    shown = service.show_segment(bank_runtime, name="target")
    assert [(v["version"], v["rule"]) for v in shown["versions"]] == [(1, SENIORS), (2, WOMEN)]


def test_an_update_that_changes_nothing_keeps_the_version(bank_runtime: Runtime) -> None:
    service.create_segment(bank_runtime, name="same", rule=SENIORS)
    assert service.update_segment(bank_runtime, name="same", rule=dict(SENIORS))["version"] == 1
    assert service.update_segment(bank_runtime, name="same", description="for the autumn campaign")["version"] == 1


def test_references_use_the_referenced_segments_current_rule(
    bank_runtime: Runtime, queue: WorkQueue, journeys: Journeys
) -> None:
    service.create_segment(bank_runtime, name="seniors", rule=SENIORS)
    service.create_segment(
        bank_runtime, name="younger_in_br01", rule={"all": [IN_BR01, {"not": {"segment": "seniors"}}]}
    )
    [before] = refresh(bank_runtime, queue, "younger_in_br01")
    service.update_segment(bank_runtime, name="seniors", rule={"attr": "age", "op": "ge", "value": 18})
    [after] = refresh(bank_runtime, queue, "younger_in_br01")

    assert (before["count"], after["count"]) == (1, 0)
    assert service.segment_members(bank_runtime, name="younger_in_br01")["count"] == 0


def test_a_reference_cycle_is_refused_with_the_path_of_the_reference(bank_runtime: Runtime) -> None:
    service.create_segment(bank_runtime, name="a", rule=SENIORS)
    service.create_segment(bank_runtime, name="b", rule={"all": [WOMEN, {"segment": "a"}]})

    with pytest.raises(InvalidInput) as caught:
        service.update_segment(bank_runtime, name="a", rule={"any": [IN_BR01, {"segment": "b"}]})
    assert caught.value.code == "segment_cycle"
    assert caught.value.details["path"] == "$.any[1]"
    assert "a → b → a" in caught.value.message
    with pytest.raises(InvalidInput, match="cycle"):
        service.create_segment(bank_runtime, name="self", rule={"segment": "self"})
    assert service.show_segment(bank_runtime, name="a")["rule"] == SENIORS  # nothing saved


@pytest.mark.parametrize(
    ("rule", "path", "reason"),
    [
        ({"all": [SENIORS, {"segment": "nobody"}]}, "$.all[1].segment", "unknown segment"),
        ({"attr": "shoe_size", "op": "eq", "value": 42}, "$.attr", "unknown attribute"),
        (
            {"event": {"type": "teleport"}, "window": {"last_days": 7}, "agg": "count", "op": "ge", "value": 1},
            "$.event.type",
            "unknown event type",
        ),
        ({"attr": "age", "op": "ge", "value": "old"}, "$.value", ""),
        ({"all": [{"tag": "active"}, {"tag": "vip_unknown"}]}, "$.all[1].tag", "unknown tag"),
    ],
)
def test_an_invalid_rule_is_refused_with_its_path_and_nothing_is_saved(
    bank_runtime: Runtime, rule: dict[str, Any], path: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create_segment(bank_runtime, name="broken", rule=rule)
    assert caught.value.details["path"] == path
    assert reason in caught.value.message
    assert service.list_segments(bank_runtime) == []


def test_computed_tags_are_known_to_rules(bank_runtime: Runtime) -> None:
    created = service.create_segment(bank_runtime, name="active_seniors", rule={"all": [SENIORS, {"tag": "active"}]})
    assert (created["version"], created["realtime"]) == (1, False)


def test_names_schedules_and_duplicates_are_checked(bank_runtime: Runtime) -> None:
    service.create_segment(bank_runtime, name="高净值客户", rule=SENIORS)
    with pytest.raises(Conflict):
        service.create_segment(bank_runtime, name="高净值客户", rule=WOMEN)
    with pytest.raises(InvalidInput, match="segment name"):
        service.create_segment(bank_runtime, name="two words", rule=WOMEN)
    with pytest.raises(InvalidInput, match="cron"):
        service.create_segment(bank_runtime, name="daily", rule=WOMEN, schedule="every morning")
    with pytest.raises(NotFound):
        service.update_segment(bank_runtime, name="missing", rule=WOMEN)


def test_values_that_look_like_sql_are_data_and_match_nobody(bank_runtime: Runtime, queue: WorkQueue) -> None:
    sneaky = "北京' OR '1'='1'; DROP TABLE segments; --"
    service.create_segment(bank_runtime, name="sneaky", rule={"attr": "city", "op": "eq", "value": sneaky})
    [result] = refresh(bank_runtime, queue, "sneaky")
    preview = service.preview_rule(bank_runtime, rule={"attr": "city", "op": "in", "value": [sneaky, "上海"]})

    assert result["count"] == 0
    assert preview["count"] == 1
    assert [s["name"] for s in service.list_segments(bank_runtime)] == ["sneaky"]


def test_a_crash_while_storing_a_refresh_changes_nothing_and_a_rerun_publishes_once(
    bank_runtime: Runtime, queue: WorkQueue, journeys: Journeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.create_segment(bank_runtime, name="seniors", rule=SENIORS)

    def crash(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("power cut")

    monkeypatch.setattr("huoke.segments.refresh.add_members", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        refresh(bank_runtime, queue, "seniors")
    monkeypatch.undo()
    with bank_runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(SegmentMemberRow)) == 0
        assert uow.session.scalar(select(func.count()).select_from(SegmentRefreshRow)) == 0
    refresh(bank_runtime, queue, "seniors")
    refresh(bank_runtime, queue, "seniors")

    assert journeys.changes() == [("seniors", "entered", one_id_of(bank_runtime, "C1"), 1)]
    assert set(journeys.keys.values()) == {1}


def test_refreshing_an_unknown_segment_names_it(bank_runtime: Runtime, queue: WorkQueue) -> None:
    with pytest.raises(NotFound, match="'ghost'"):
        refresh_segments(bank_runtime, queue.subscriptions, names=["ghost"])


def test_a_scheduled_segment_refreshes_at_its_times_on_the_simulated_clock(
    bank_runtime: Runtime, queue: WorkQueue, journeys: Journeys
) -> None:
    created = service.create_segment(bank_runtime, name="daily", rule=SENIORS, schedule="0 6 * * *")
    platform = Platform(
        runtime=bank_runtime,
        due_work=[queue.drain, lambda until: run_scheduled(bank_runtime, queue.subscriptions, until)],
    )
    platform.run_until(START + timedelta(days=2))  # 2026-11-26 09:00: the 06:00 runs of the 25th and 26th

    shown = service.show_segment(bank_runtime, name="daily")
    assert created["next_refresh_at"] == "2026-11-24T22:00:00+00:00"  # 06:00 on the 25th in Shanghai
    assert shown["refreshed_as_of"] == "2026-11-25T22:00:00+00:00"
    assert shown["next_refresh_at"] == "2026-11-26T22:00:00+00:00"
    assert [m["as_of"] for m in journeys.seen] == ["2026-11-24T22:00:00+00:00"]
    with bank_runtime.uow() as uow:
        triggers = uow.session.scalars(select(SegmentRefreshRow.trigger)).all()
    assert triggers == ["schedule", "schedule"]


def test_segments_due_at_the_same_time_refresh_together_once(
    bank_runtime: Runtime, queue: WorkQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.create_segment(bank_runtime, name="seniors", rule=SENIORS, schedule="0 6 * * *")
    service.create_segment(bank_runtime, name="women", rule=WOMEN, schedule="0 6 * * *")
    syncs: list[int] = []

    def counted_sync(runtime: Runtime) -> dict[str, Any]:
        syncs.append(1)
        return sync_lake(runtime)

    monkeypatch.setattr("huoke.segments.refresh.sync_lake", counted_sync)

    ran = run_scheduled(bank_runtime, queue.subscriptions, START + timedelta(days=1))

    assert ran == 2
    assert len(syncs) == 1
    assert {s["name"]: s["count"] for s in service.list_segments(bank_runtime)} == {"seniors": 1, "women": 1}


def test_run_until_keeps_queued_work_and_scheduled_refreshes_in_time_order(bank_runtime: Runtime) -> None:
    service.create_segment(bank_runtime, name="daily", rule=SENIORS, schedule="0 6 * * *")  # 06:00 = 22:00 UTC
    seen: dict[str, datetime | None] = {}

    def note_refresh(session: Session, item: WorkItem, now: datetime) -> None:
        seen[item.key] = session.scalar(select(SegmentRow.refreshed_as_of).where(SegmentRow.name == "daily"))

    queue = WorkQueue(bank_runtime, Subscriptions([Subscriber("test.timer", frozenset({"test.timer"}), note_refresh)]))
    with bank_runtime.uow() as uow:
        for key, hour in (("at-05", 5), ("at-07", 7)):
            at = datetime(2026, 11, 25, hour, tzinfo=START.tzinfo)
            enqueue(
                uow.session, queue.subscriptions, topic="test.timer", key=key, payload={}, now=START, available_at=at
            )
        uow.commit()
    platform = Platform(
        runtime=bank_runtime,
        due_work=[queue.drain, lambda until: run_scheduled(bank_runtime, queue.subscriptions, until)],
        milestones=[lambda until: next_scheduled(bank_runtime, until)],
    )
    platform.run_until(START + timedelta(days=1))

    assert seen == {"at-05": None, "at-07": datetime(2026, 11, 24, 22, 0, tzinfo=UTC)}


def test_export_writes_every_member_with_customer_number_and_entry_time(
    bank_runtime: Runtime, queue: WorkQueue, tmp_path: Path
) -> None:
    service.create_segment(bank_runtime, name="all_br01", rule=IN_BR01)
    refresh(bank_runtime, queue, "all_br01")
    result = service.export_members(bank_runtime, name="all_br01", path=tmp_path / "out" / "members.csv")

    lines = (tmp_path / "out" / "members.csv").read_text(encoding="utf-8").splitlines()
    assert result["count"] == 2
    assert lines[0] == '"one_id","customer_no","entered_at","version"'
    assert sorted(line.split(",")[1] for line in lines[1:]) == ['"C1"', '"C2"']
