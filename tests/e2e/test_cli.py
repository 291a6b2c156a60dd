"""The `huoke` command as users run it: a subprocess, JSON on stdout, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.customers import bank_files as bank


def huoke(
    data_dir: Path, *args: str, profile: str = "dev", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUOKE_")}
    environment |= {"HUOKE_PROFILE": profile, **(env or {})}
    command = [sys.executable, "-m", "huoke", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, check=False)


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_init_import_and_show_through_the_cli(data_dir: Path, tmp_path: Path) -> None:
    init = as_json(huoke(data_dir, "init", "--clock", "simulated", "--now", "2026-11-24T09:00", "--json"))
    assert init["clock"] == "simulated"
    assert init["now"] == "2026-11-24T09:00:00+08:00"
    assert (data_dir / "huoke.db").exists()
    files = bank.write_bank(tmp_path / "files")
    for kind in ("org", "staff", "products", "customers", "holdings", "consents"):
        summary = as_json(huoke(data_dir, "import", kind, str(files[kind]), "--json"))
        assert set(summary) >= {"accepted", "rejected", "duplicates", "errors_file"}
        assert summary["rejected"] == 0

    view = as_json(huoke(data_dir, "customers", "show", "--customer-no", "C1", "--json"))

    assert set(view) >= {"one_id", "customer_no", "profile", "identities", "holdings", "consents", "tags"}
    assert "13912345678" not in json.dumps(view)
    assert bank.ID_ZHANG not in json.dumps(view)


def test_the_simulated_clock_moves_only_forward_and_only_with_run(data_dir: Path) -> None:
    as_json(huoke(data_dir, "init", "--clock", "simulated", "--now", "2026-11-24T09:00", "--json"))

    moved = as_json(huoke(data_dir, "run", "--until", "2026-12-01T08:00", "--json"))
    back = huoke(data_dir, "run", "--until", "2026-11-30", "--json")

    assert moved == {"processed": 0, "now": "2026-12-01T08:00:00+08:00"}
    assert back.returncode == 1
    assert "only moves forward" in back.stderr
    assert json.loads(back.stdout)["error"]["code"] == "clock_backwards"
    kept = as_json(huoke(data_dir, "init", "--json"))  # re-running init keeps the data dir's clock
    assert (kept["clock"], kept["now"]) == ("simulated", "2026-12-01T08:00:00+08:00")
    assert as_json(huoke(data_dir, "init", "--clock", "real", "--json"))["clock"] == "real"


def test_commands_before_init_say_so_and_bad_choices_are_usage_errors(data_dir: Path, tmp_path: Path) -> None:
    files = bank.write_bank(tmp_path / "files")

    before_init = huoke(data_dir, "import", "org", str(files["org"]))
    bad_encoding = huoke(data_dir, "import", "org", str(files["org"]), "--encoding", "latin1")
    bad_clock = huoke(data_dir, "init", "--clock", "sundial")

    assert before_init.returncode == 1
    assert "is not initialised; run `huoke init`" in before_init.stderr
    assert (bad_encoding.returncode, bad_clock.returncode) == (2, 2)


def test_user_errors_exit_1_with_a_message_and_usage_errors_exit_2(data_dir: Path, tmp_path: Path) -> None:
    as_json(huoke(data_dir, "init", "--json"))
    bad = bank.write_csv(tmp_path / "org.csv", [{"code": "HO", "name": "总行"}])

    missing_column = huoke(data_dir, "import", "org", str(bad), "--json")
    unknown_customer = huoke(data_dir, "customers", "show", "--customer-no", "NOPE")
    unknown_kind = huoke(data_dir, "import", "loans", str(bad))
    usage = huoke(data_dir, "customers", "show", "--no-such-option")

    assert missing_column.returncode == 1
    assert "has no column level" in missing_column.stderr
    assert json.loads(missing_column.stdout)["error"]["code"] == "missing_columns"
    assert unknown_customer.returncode == 1
    assert "no customer with customer_no NOPE" in unknown_customer.stderr
    assert unknown_kind.returncode == 1
    assert "unknown import kind" in unknown_kind.stderr
    assert usage.returncode == 2
    assert "Traceback" not in missing_column.stderr + unknown_customer.stderr + usage.stderr


def test_production_refuses_to_handle_pii_without_real_keys(data_dir: Path, tmp_path: Path) -> None:
    as_json(huoke(data_dir, "init", "--json", profile="prod"))
    files = bank.write_bank(tmp_path / "files")

    refused = huoke(data_dir, "import", "org", str(files["org"]), profile="prod")
    dev_keys = huoke(
        data_dir,
        "import",
        "staff",
        str(files["staff"]),
        profile="prod",
        env={
            "HUOKE_ENCRYPTION_KEYS": "dev1:ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=",
            "HUOKE_BLIND_INDEX_KEY": "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LTMyYnl0ZXM=",
        },
    )
    keys = as_json(huoke(data_dir, "keys", "generate", "--json"))
    accepted = as_json(huoke(data_dir, "import", "org", str(files["org"]), "--json", profile="prod", env=keys))

    assert refused.returncode == 1
    assert "HUOKE_ENCRYPTION_KEYS and HUOKE_BLIND_INDEX_KEY must be set" in refused.stderr
    assert dev_keys.returncode == 1
    assert "development keys may not be used" in dev_keys.stderr
    assert accepted["accepted"] == 3


def test_demo_generate_writes_importable_files(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bank"
    generated = as_json(
        huoke(
            data_dir,
            "demo",
            "generate",
            "--customers",
            "300",
            "--seed",
            "3",
            "--as-of",
            "2026-11-24",
            "--out",
            str(out),
            "--json",
        )
    )
    assert generated["counts"]["customers"] == 300
    as_json(huoke(data_dir, "init", "--json"))
    for kind in ("org", "staff", "products", "customers", "holdings", "consents"):
        summary = as_json(huoke(data_dir, "import", kind, generated["files"][kind], "--json"))
        assert summary["rejected"] == 0, summary
