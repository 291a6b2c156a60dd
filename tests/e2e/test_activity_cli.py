"""`huoke demo generate --days D` as users run it: the bank's CSV files plus D days of activity in Parquet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq


def huoke(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUOKE_")} | {"HUOKE_PROFILE": "dev"}
    command = [sys.executable, "-m", "huoke", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, check=False)


def test_demo_generate_with_days_writes_activity_beside_the_bank(tmp_path: Path) -> None:
    out = tmp_path / "bank"
    args = ("demo", "generate", "--customers", "200", "--seed", "5", "--as-of", "2026-02-20", "--out", str(out))

    result = huoke(tmp_path / "data", *args, "--days", "30", "--json")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    activity = summary["activity"]
    assert (activity["first_day"], activity["last_day"]) == ("2026-01-21", "2026-02-19")
    assert activity["counts"]["customers"] == summary["counts"]["customers"] == 200
    for kind in ("transactions", "events"):
        assert Path(activity["files"][kind]) == out / kind
        assert pq.read_table(out / kind).num_rows == activity["counts"][kind] > 0
    assert (out / "lifecycle.parquet").is_file()


def test_without_days_only_the_bank_is_written(tmp_path: Path) -> None:
    out = tmp_path / "bank"
    result = huoke(tmp_path / "data", "demo", "generate", "--customers", "50", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert "activity" not in json.loads(result.stdout)
    assert not (out / "transactions").exists()


def test_a_window_outside_the_festival_table_is_a_user_error(tmp_path: Path) -> None:
    out = tmp_path / "b"
    args = ("demo", "generate", "--customers", "50", "--out", str(out), "--as-of", "2045-01-01")
    result = huoke(tmp_path / "data", *args, "--days", "10", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["code"] == "activity_year_out_of_range"
    assert "2000–2040" in result.stderr
    assert not out.exists(), "refused before generating anything"
