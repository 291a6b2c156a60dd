"""Saved segments as users drive them: the CLI of CONTRACTS.md §1 and the HTTP API, with their errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huoke.app import create_app
from huoke.platform.apikeys import create_api_key
from huoke.platform.runtime import Runtime
from tests.e2e.test_cli import as_json, huoke
from tests.integration.customers import bank_files as bank

SENIORS = {"all": [{"in_org": "BR01"}, {"attr": "age", "op": "between", "value": [60, 99]}]}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    as_json(huoke(data, "init", "--clock", "simulated", "--now", "2026-11-24T09:00", "--json"))
    files = bank.write_bank(tmp_path / "files")
    for kind in bank.BANK_KINDS:
        as_json(huoke(data, "import", kind, str(files[kind]), "--json"))
    return data


def rule_file(folder: Path, rule: Any, name: str = "rule.json") -> str:
    path = folder / name
    path.write_text(json.dumps(rule, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_preview_create_refresh_and_members_through_the_cli(data_dir: Path, tmp_path: Path) -> None:
    rule = rule_file(tmp_path, SENIORS)
    preview = as_json(huoke(data_dir, "segments", "preview", rule, "--json"))
    created = as_json(huoke(data_dir, "segments", "create", "seniors", rule, "--schedule", "0 6 * * *", "--json"))
    refreshed = as_json(huoke(data_dir, "segments", "refresh", "--json"))
    members = as_json(huoke(data_dir, "segments", "members", "seniors", "--json"))
    exported = as_json(huoke(data_dir, "segments", "members", "seniors", "--output", str(tmp_path / "m.csv"), "--json"))
    listed = as_json(huoke(data_dir, "segments", "list", "--json"))

    assert (preview["count"], preview["sample"]) == (1, ["C1"])
    assert "SELECT" in preview["sql"].upper()
    assert (created["name"], created["version"], created["schedule"]) == ("seniors", 1, "0 6 * * *")
    assert [(r["segment"], r["count"], r["entered"]) for r in refreshed["segments"]] == [("seniors", 1, 1)]
    assert (members["segment"], members["count"], members["customer_nos"]) == ("seniors", 1, ["C1"])
    assert (tmp_path / "m.csv").read_text(encoding="utf-8").count("\n") == 2
    assert exported["output"] == str(tmp_path / "m.csv")
    assert [(s["name"], s["count"]) for s in listed["segments"]] == [("seniors", 1)]


def test_an_invalid_rule_exits_1_with_the_path_the_value_and_the_choices(data_dir: Path, tmp_path: Path) -> None:
    bad = rule_file(tmp_path, {"all": [{"attr": "age", "op": "older_than", "value": 60}]})
    result = huoke(data_dir, "segments", "create", "seniors", bad, "--json")
    error = json.loads(result.stdout)["error"]

    assert result.returncode == 1
    assert (error["code"], error["path"], error["value"]) == ("invalid_rule", "$.all[0].op", "older_than")
    assert "between" in error["allowed"]
    assert "$.all[0].op" in result.stderr
    assert as_json(huoke(data_dir, "segments", "list", "--json")) == {"segments": []}


def test_a_rule_file_that_is_not_json_and_a_bad_as_of_exit_1(data_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"attr": "age", "op": ', encoding="utf-8")
    not_json = huoke(data_dir, "segments", "preview", str(broken))
    bad_time = huoke(data_dir, "segments", "preview", rule_file(tmp_path, SENIORS), "--as-of", "yesterday")

    assert not_json.returncode == 1
    assert "not valid JSON" in not_json.stderr
    assert bad_time.returncode == 1
    assert "--as-of" in bad_time.stderr


def test_a_scheduled_refresh_runs_with_huoke_run_until(data_dir: Path, tmp_path: Path) -> None:
    as_json(
        huoke(
            data_dir,
            "segments",
            "create",
            "seniors",
            rule_file(tmp_path, SENIORS),
            "--schedule",
            "30 7 * * *",
            "--json",
        )
    )
    ran = as_json(huoke(data_dir, "run", "--until", "2026-11-25T08:00", "--json"))
    shown = as_json(huoke(data_dir, "segments", "show", "seniors", "--json"))

    assert ran["processed"] >= 1
    assert shown["refreshed_as_of"] == "2026-11-24T23:30:00+00:00"  # 07:30 on the 25th in Shanghai
    assert shown["count"] == 1


@pytest.fixture
def client(runtime: Runtime, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    bank.import_bank(runtime, tmp_path / "bank")
    _, token = create_api_key(runtime, "e2e")
    with TestClient(create_app(runtime.settings), raise_server_exceptions=False) as test_client:
        yield test_client, {"Authorization": f"Bearer {token}"}


def test_segments_through_the_api(client: tuple[TestClient, dict[str, str]]) -> None:
    http, headers = client
    created = http.post("/api/v1/segments", json={"name": "seniors", "rule": SENIORS}, headers=headers)
    refreshed = http.post("/api/v1/segments/seniors/refresh", json={}, headers=headers)
    members = http.get("/api/v1/segments/seniors/members", headers=headers)
    updated = http.patch("/api/v1/segments/seniors", json={"rule": {"attr": "gender", "op": "eq", "value": "F"}},
                         headers=headers)  # fmt: skip
    again = http.post("/api/v1/segments/seniors/refresh", headers=headers)
    exported = http.get("/api/v1/segments/seniors/export", headers=headers)
    preview = http.post("/api/v1/segments/preview", json={"rule": {"in_org": "SB01"}}, headers=headers)

    assert created.status_code == 201
    assert refreshed.json()["entered"] == 1
    assert members.json()["customer_nos"] == ["C1"]
    assert updated.json()["version"] == 2
    assert (again.json()["entered"], again.json()["exited"], again.json()["version"]) == (1, 1, 2)
    assert exported.text.splitlines()[1].split(",")[1] == '"C2"'
    assert (preview.json()["count"], preview.json()["sample"]) == (2, ["C1", "C2"])


def test_api_errors_are_problems_with_the_path(client: tuple[TestClient, dict[str, str]]) -> None:
    http, headers = client
    bad = http.post("/api/v1/segments", json={"name": "x", "rule": {"tag": ""}}, headers=headers)
    deep = {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"in_org": "HO"}}}}}}}}}
    too_deep = http.post("/api/v1/segments/preview", json={"rule": deep}, headers=headers)
    missing = http.post("/api/v1/segments/ghost/refresh", headers=headers)
    http.post("/api/v1/segments", json={"name": "a", "rule": {"in_org": "HO"}}, headers=headers)
    cycle = http.patch("/api/v1/segments/a", json={"rule": {"not": {"segment": "a"}}}, headers=headers)

    assert bad.status_code == 422
    assert bad.json()["errors"]["path"] == "$.tag"
    assert too_deep.status_code == 422
    assert "8 levels" in too_deep.json()["detail"]
    assert missing.status_code == 404
    assert cycle.status_code == 422
    assert cycle.json()["code"] == "segment_cycle"
