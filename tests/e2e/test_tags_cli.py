"""`huoke tags …` as users run it: a subprocess, one JSON document on stdout, exit 1 on user errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import as_json, huoke
from tests.integration.customers import bank_files as bank


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    """A data dir on a simulated clock with the bank_files customers imported and synced to the lake."""
    data_dir = tmp_path / "data"
    as_json(huoke(data_dir, "init", "--clock", "simulated", "--now", "2026-11-24T09:00", "--json"))
    files = bank.write_bank(tmp_path / "files")
    for kind in bank.BANK_KINDS:
        assert as_json(huoke(data_dir, "import", kind, str(files[kind]), "--json"))["rejected"] == 0
    as_json(huoke(data_dir, "lake", "sync", "--json"))
    return data_dir


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_define_refresh_import_and_list_tags(bank_dir: Path, tmp_path: Path) -> None:
    rule = write(tmp_path / "wealth.json", json.dumps({"holding": {"product_type": "wealth"}}))
    manual = write(tmp_path / "vip.csv", "customer_no,tag,action\nC2,贵宾,add\nC404,贵宾,add\n")

    defined = as_json(huoke(bank_dir, "tags", "define", "wealth_holder", str(rule), "--json"))
    imported = as_json(huoke(bank_dir, "tags", "import", str(manual), "--json"))
    refreshed = as_json(huoke(bank_dir, "tags", "refresh", "--as-of", "2026-11-24T09:00", "--json"))
    listed = as_json(huoke(bank_dir, "tags", "list", "--json"))
    c1 = as_json(huoke(bank_dir, "tags", "list", "--customer-no", "C1", "--json"))
    view = as_json(huoke(bank_dir, "customers", "show", "--customer-no", "C2", "--json"))
    preview = as_json(huoke(bank_dir, "segments", "preview", str(write(tmp_path / "r.json", '{"tag": "贵宾"}')),
                            "--json"))  # fmt: skip

    assert (defined["name"], defined["version"], defined["kind"]) == ("wealth_holder", 1, "rule")
    assert (imported["accepted"], imported["rejected"], imported["duplicates"]) == (1, 1, 0)
    with Path(imported["errors_file"]).open(encoding="utf-8-sig") as handle:
        [error] = list(csv.DictReader(handle))
    assert (error["row"], error["column"], error["value"]) == ("3", "customer_no", "C404")
    assert refreshed["as_of"] == "2026-11-24T09:00:00+08:00"
    assert refreshed["by_tag"]["wealth_holder"] == 1
    assert refreshed["by_tag"]["贵宾"] == 1
    holders = {t["name"]: (t["kind"], t["holders"]) for t in listed["tags"]}
    assert holders["wealth_holder"] == ("rule", 1)
    assert holders["贵宾"] == ("manual", 1)
    assert holders["age_75_plus"] == ("computed", 1)
    assert {t["name"] for t in c1["tags"]} == {"wealth_holder", "age_75_plus", "value_affluent", "lifecycle_new"}
    assert {(t["name"], t["kind"]) for t in view["tags"]} >= {("贵宾", "manual"), ("age_30_44", "computed")}
    assert all(t["assigned_at"] == "2026-11-24T09:00:00+08:00" for t in view["tags"])
    assert preview["sample"] == ["C2"]


def test_user_errors_exit_1_with_the_problem_named(bank_dir: Path, tmp_path: Path) -> None:
    bad_rule = write(tmp_path / "bad.json", json.dumps({"all": [{"tag": "active"}, {"holding": {"kind": "x"}}]}))
    unknown_tag = write(tmp_path / "unknown.json", json.dumps({"tag": "no_such_tag"}))
    broken_json = write(tmp_path / "broken.json", "{")
    no_tag_column = write(tmp_path / "t.csv", "customer_no\nC1\n")

    invalid = huoke(bank_dir, "tags", "define", "x", str(bad_rule), "--json")
    unknown = huoke(bank_dir, "tags", "define", "x", str(unknown_tag), "--json")
    reserved = huoke(bank_dir, "tags", "define", "value_top", str(unknown_tag), "--json")
    malformed = huoke(bank_dir, "tags", "define", "x", str(broken_json), "--json")
    missing = huoke(bank_dir, "tags", "import", str(no_tag_column), "--json")
    bad_time = huoke(bank_dir, "tags", "refresh", "--as-of", "yesterday", "--json")
    nobody = huoke(bank_dir, "tags", "list", "--customer-no", "C404", "--json")

    for result in (invalid, unknown, reserved, malformed, missing, bad_time, nobody):
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert json.loads(invalid.stdout)["error"]["path"] == "$.all[1].holding.kind"
    assert json.loads(unknown.stdout)["error"]["path"] == "$.tag"
    assert json.loads(reserved.stdout)["error"]["code"] == "reserved_tag_name"
    assert json.loads(malformed.stdout)["error"]["code"] == "malformed_json"
    assert json.loads(missing.stdout)["error"]["code"] == "missing_columns"
    assert json.loads(bad_time.stdout)["error"]["code"] == "bad_time"
    assert json.loads(nobody.stdout)["error"]["code"] == "customer_not_found"
