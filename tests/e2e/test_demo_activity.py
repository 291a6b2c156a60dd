"""`huoke demo --days D`: the showcase loads activity into the lake and a customer's timeline shows it."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq

from huoke.platform.lake import Lake
from tests.e2e.test_cli import as_json, huoke


def test_the_showcase_loads_activity_and_the_timeline_reads_it_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = as_json(huoke(data, "demo", "--customers", "300", "--days", "20", "--no-serve", "--fresh", "--json"))

    activity = result["activity"]
    assert result["rejected"] == 0
    assert activity["loads"]["transactions"]["rejected"] == 0
    assert activity["loads"]["events"]["rejected"] == 0
    assert activity["transactions"] == activity["loads"]["transactions"]["accepted"] > 0
    assert activity["events"] > 0
    assert sum(activity["lifecycle_stages"].values()) == 300
    assert 0 < activity["active_customers_30d"] <= 300

    one_id = _an_active_one_id(data)
    view = as_json(huoke(data, "customers", "show", "--one-id", one_id, "--json"))
    assert view["timeline"]
    assert {e["source"] for e in view["timeline"]} == {"lake"}
    times = [e["occurred_at"] for e in view["timeline"]]
    assert times == sorted(times, reverse=True)


def _an_active_one_id(data: Path) -> str:
    lake = Lake(data / "lake", ZoneInfo("Asia/Shanghai"))
    newest = lake.files("transactions")[-1]
    return str(pq.read_table(newest.path, columns=["one_id"]).column("one_id")[0].as_py())
