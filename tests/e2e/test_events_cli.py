"""`huoke events|transactions ingest`, `huoke import transactions` and the event catalogue, as users run them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import as_json, huoke
from tests.integration.customers import bank_files as bank


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    as_json(huoke(data, "init", "--clock", "simulated", "--now", "2026-11-24T09:00", "--json"))
    files = bank.write_bank(tmp_path / "files")
    for kind in bank.BANK_KINDS:
        as_json(huoke(data, "import", kind, str(files[kind]), "--json"))
    return data


def test_events_ingest_reports_each_line_and_a_second_run_only_duplicates(data_dir: Path, tmp_path: Path) -> None:
    lines = [
        {"event_id": "e1", "type": "login", "occurred_at": "2026-11-24T08:00", "customer_no": "C1"},
        {"event_id": "e2", "type": "search", "occurred_at": "2026-11-24T08:01", "customer_no": "C2"},
        {"event_id": "e3", "type": "search", "occurred_at": "2026-11-24T08:02", "customer_no": "C2"},
    ]
    path = tmp_path / "events.jsonl"
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + '\n{"event_id": oops}\n'
    path.write_text(text, encoding="utf-8")

    first = as_json(huoke(data_dir, "events", "ingest", str(path), "--json"))
    second = as_json(huoke(data_dir, "events", "ingest", str(path), "--json"))

    assert (first["accepted"], first["duplicates"], first["rejected"]) == (1, 0, 3)
    assert [r["status"] for r in first["results"]] == ["accepted", "rejected", "rejected", "rejected"]
    assert first["results"][1]["errors"] == [{"field": "properties.query", "reason": "'query' is a required property"}]
    assert "not valid JSON at line 4" in first["results"][3]["errors"][0]["reason"]
    assert (second["accepted"], second["duplicates"], second["rejected"]) == (0, 1, 3)
    with Path(first["errors_file"]).open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["row"] for r in rows] == ["2", "3", "4"]


def test_transactions_from_csv_through_ingest_and_import(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "txns.csv"
    path.write_text(
        "txn_id,customer_no,account_no,occurred_at,amount,direction,txn_type,mcc\n"
        "T1,C1,6222020000000001,2026-11-23 12:00,35.00,debit,card_spend,5812\n"
        "T2,,6222020000000001,2026-11-23 18:00,-1,debit,card_spend,5812\n"
        "T3,C2,,2026-11-23 19:00,8000,credit,salary,\n",
        encoding="utf-8",
    )

    ingested = as_json(huoke(data_dir, "transactions", "ingest", str(path), "--json"))
    imported = as_json(huoke(data_dir, "import", "transactions", str(path), "--json"))
    processed = as_json(huoke(data_dir, "run", "--until", "2026-11-24T10:00", "--json"))

    assert (ingested["accepted"], ingested["rejected"]) == (2, 1)
    assert ingested["results"][1]["errors"][0]["field"] == "amount"
    assert set(imported) >= {"accepted", "rejected", "duplicates", "errors_file"}
    assert (imported["accepted"], imported["duplicates"], imported["rejected"]) == (0, 2, 1)
    assert processed["processed"] == 2  # the activity subscriber, once per accepted transaction


def test_custom_event_types_from_the_cli(data_dir: Path, tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"amount": {"type": "number"}}}), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")

    made = as_json(huoke(data_dir, "events", "types", "register", "loan_quote", str(schema), "--json"))
    listed = as_json(huoke(data_dir, "events", "types", "list", "--json"))
    refused = huoke(data_dir, "events", "types", "register", "login", str(schema), "--json")
    malformed = huoke(data_dir, "events", "types", "register", "x_y", str(bad), "--json")

    assert made == {"name": "loan_quote", "version": 1, "standard": False}
    assert "loan_quote" in [t["name"] for t in listed["types"]]
    assert refused.returncode == 1
    assert "standard event type" in json.loads(refused.stdout)["error"]["message"]
    assert malformed.returncode == 1
    assert "line 1, column 2" in json.loads(malformed.stdout)["error"]["message"]
