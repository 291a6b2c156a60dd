"""Synthetic activity files: the decided Parquet format, rows that belong to the generated bank, determinism and
clear errors for bad input."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator

from huoke.demo.activity import ActivityFiles, generate_activity
from huoke.demo.generator import GeneratedBank, generate_bank
from huoke.events.catalogue import STANDARD_SCHEMAS
from huoke.platform.errors import InvalidInput

AS_OF = date(2025, 6, 30)
END = AS_OF - timedelta(days=1)
DAYS = 120
SEED = 4242
TRANSACTION_COLUMNS = [
    ("txn_id", pa.string()),
    ("customer_no", pa.string()),
    ("account_no", pa.string()),
    ("occurred_at", pa.timestamp("us", tz="UTC")),
    ("amount", pa.decimal128(18, 2)),
    ("direction", pa.string()),
    ("txn_type", pa.string()),
    ("channel", pa.string()),
    ("mcc", pa.string()),
    ("merchant", pa.string()),
    ("product_code", pa.string()),
]
EVENT_COLUMNS = [
    ("event_id", pa.string()),
    ("type", pa.string()),
    ("occurred_at", pa.timestamp("us", tz="UTC")),
    ("customer_no", pa.string()),
    ("device_id", pa.string()),
    ("channel", pa.string()),
    ("properties", pa.string()),
]
# Which holdings each kind of transaction may touch (CONTRACTS.md §2 product types).
ACCOUNTS_OF_TYPE = {
    "card_spend": {"debit_card", "credit_card"},
    "salary": {"demand_deposit", "debit_card"},
    "transfer_in": {"demand_deposit", "debit_card"},
    "transfer_out": {"demand_deposit", "debit_card"},
    "withdrawal": {"demand_deposit", "debit_card"},
    "deposit": {"demand_deposit", "debit_card", "time_deposit"},
    "interest": {"demand_deposit"},
    "fee": {"demand_deposit"},
    "wealth_purchase": {"wealth", "fund", "demand_deposit", "debit_card"},
    "wealth_redeem": {"wealth", "fund"},
    "loan_disbursal": {"loan", "mortgage"},
    "loan_repayment": {"loan", "mortgage"},
}
CREDITS = {"transfer_in", "salary", "deposit", "wealth_redeem", "loan_disbursal", "interest"}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBank:
    return generate_bank(tmp_path_factory.mktemp("bank"), customers=800, seed=SEED, as_of=AS_OF)


@pytest.fixture(scope="module")
def activity(bank: GeneratedBank, tmp_path_factory: pytest.TempPathFactory) -> ActivityFiles:
    out = tmp_path_factory.mktemp("activity")
    return generate_activity(bank, days=DAYS, end=END, seed=SEED, out_dir=out, chunk_rows=20_000, part_rows=40_000)


@pytest.fixture(scope="module")
def db(bank: GeneratedBank, activity: ActivityFiles) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    for kind in ("transactions", "events"):
        con.read_parquet(str(activity.files[kind] / "*.parquet")).create_view(f"raw_{kind}")
    con.read_parquet(str(activity.files["lifecycle"])).create_view("l")
    for kind in ("customers", "holdings", "products"):
        con.read_csv(str(bank.files[kind]), all_varchar=True).create_view(kind)
    con.execute("create view t as select *, timezone('Asia/Shanghai', occurred_at)::date as d from raw_transactions")
    con.execute("create view e as select *, timezone('Asia/Shanghai', occurred_at)::date as d from raw_events")
    yield con
    con.close()


def scalar(db: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = db.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_files_follow_the_decided_layout_and_column_types(activity: ActivityFiles) -> None:
    assert activity.files["transactions"] == activity.out_dir / "transactions"
    for kind, columns in (("transactions", TRANSACTION_COLUMNS), ("events", EVENT_COLUMNS)):
        parts = sorted(activity.files[kind].glob("*.parquet"))
        assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(len(parts))]
        assert len(parts) > 1, "small part size: several parts"
        rows = 0
        for part in parts:
            meta = pq.ParquetFile(part)
            assert [(f.name, f.type) for f in meta.schema_arrow] == columns
            assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
            rows += meta.metadata.num_rows
        assert rows == activity.counts[kind] > 0
    manifest = json.loads(activity.files["manifest"].read_text(encoding="utf-8"))
    assert manifest["counts"] == activity.counts
    assert (manifest["first_day"], manifest["last_day"]) == ((END - timedelta(days=DAYS - 1)).isoformat(), str(END))


def test_rows_within_a_row_group_are_in_time_order_and_groups_follow_the_days(activity: ActivityFiles) -> None:
    last_group_start = None
    for part in sorted(activity.files["transactions"].glob("*.parquet")):
        meta = pq.ParquetFile(part)
        for index in range(meta.num_row_groups):
            times = meta.read_row_group(index, columns=["occurred_at"]).column(0).to_pylist()
            assert times == sorted(times)
            if last_group_start is not None:
                assert times[0].date() >= last_group_start.date() - timedelta(days=1)
            last_group_start = times[0]


def test_ids_are_unique_and_every_amount_is_positive(db: duckdb.DuckDBPyConnection) -> None:
    assert scalar(db, "select count(*) - count(distinct txn_id) from t") == 0
    assert scalar(db, "select count(*) - count(distinct event_id) from e") == 0
    assert scalar(db, "select min(amount) from t") > 0
    assert scalar(db, "select count(*) from t where amount * 100 != floor(amount * 100)") == 0


def test_every_transaction_names_a_customer_and_one_of_their_accounts(db: duckdb.DuckDBPyConnection) -> None:
    unknown = "select count(*) from t anti join customers using (customer_no)"
    assert scalar(db, unknown) == 0
    pairs = db.execute(
        "select t.txn_type, h.product_type, count(*) from t left join holdings h "
        "on h.account_no = t.account_no and h.customer_no = t.customer_no group by all"
    ).fetchall()
    assert {kind for kind, _, _ in pairs} >= {"card_spend", "salary", "transfer_out", "withdrawal", "interest"}
    for kind, product_type, _count in pairs:
        assert product_type in ACCOUNTS_OF_TYPE[kind], (kind, product_type)


def test_columns_carry_what_each_kind_of_transaction_needs(db: duckdb.DuckDBPyConnection) -> None:
    wrong_direction = "select count(*) from t where (direction = 'credit') != (txn_type in ?)"
    assert db.execute(wrong_direction.replace("?", str(tuple(CREDITS)))).fetchone() == (0,)
    assert scalar(db, "select count(*) from t where (mcc is not null) != (txn_type = 'card_spend')") == 0
    assert scalar(db, "select count(*) from t where mcc is not null and not regexp_full_match(mcc, '[0-9]{4}')") == 0
    assert scalar(db, "select count(*) from t where txn_type = 'card_spend' and merchant is null") == 0
    needs_product = (
        "select count(*) from t where (product_code is not null) "
        "!= (txn_type in ('wealth_purchase', 'wealth_redeem', 'loan_disbursal', 'loan_repayment'))"
    )
    assert scalar(db, needs_product) == 0
    bad_products = (
        "select count(*) from t join products p on p.product_code = t.product_code "
        "where (txn_type like 'wealth%' and p.product_type not in ('wealth', 'fund')) "
        "or (txn_type like 'loan%' and p.product_type not in ('loan', 'mortgage'))"
    )
    assert scalar(db, bad_products) == 0
    assert (
        scalar(db, "select count(*) from t anti join products using (product_code) where product_code is not null") == 0
    )
    held = (
        "select count(*) from t join holdings h on h.account_no = t.account_no "
        "where h.product_type in ('wealth', 'fund', 'loan', 'mortgage') and h.product_code != t.product_code"
    )
    assert scalar(db, held) == 0, "trades on a product's own account name that product"


def test_nothing_happens_before_the_customer_or_the_account_opened(db: duckdb.DuckDBPyConnection) -> None:
    first, last = END - timedelta(days=DAYS - 1), END
    assert db.execute("select min(d), max(d) from t").fetchone() == (first, last)
    assert db.execute("select count(*) from e where d < ? or d > ?", [first, last]).fetchone() == (0,)
    for early in (
        "select count(*) from t join customers c using (customer_no) where d < c.opened_at::date",
        "select count(*) from e join customers c using (customer_no) where d < c.opened_at::date",
    ):
        assert scalar(db, early) == 0
    account_early = "select count(*) from t join holdings h using (account_no) where d < h.opened_at::date"
    assert scalar(db, account_early) == 0
    closed = "select count(*) from t join holdings h using (account_no) where h.status = 'closed'"
    assert scalar(db, closed) == 0


def test_events_identify_the_customer_or_the_device(db: duckdb.DuckDBPyConnection) -> None:
    assert scalar(db, "select count(*) from e where customer_no is null and device_id is null") == 0
    assert (
        scalar(db, "select count(*) from e anti join customers using (customer_no) where customer_no is not null") == 0
    )
    anonymous = db.execute("select distinct type from e where customer_no is null").fetchall()
    assert {row[0] for row in anonymous} <= {"app_open", "page_view", "product_view", "search"}
    assert scalar(db, "select count(*) from e where type = 'login' and (customer_no is null or device_id is null)") == 0
    devices = (
        "select count(*) from (select device_id from e where type = 'login' "
        "group by 1 having count(distinct customer_no) > 1)"
    )
    assert scalar(db, devices) == 0, "a device logs in as one customer"
    channels = {row[0] for row in db.execute("select distinct channel from e").fetchall()}
    assert channels <= {"app", "wechat", "mini_program", "web"}


def test_event_properties_are_json_objects_of_the_standard_catalogue(db: duckdb.DuckDBPyConnection) -> None:
    products = {row[0] for row in db.execute("select product_code from products").fetchall()}
    rows = db.execute("select type, properties from e using sample 20000 rows (reservoir, 7)").fetchall()
    for kind, text in rows:
        properties = json.loads(text)
        errors = list(Draft202012Validator(STANDARD_SCHEMAS[kind]).iter_errors(properties))
        assert not errors, (kind, text, errors[0].message)
        if kind == "product_view":
            assert properties["product_code"] in products
            assert properties["dwell_seconds"] > 0


def test_the_same_seed_gives_identical_files_and_another_seed_differs(bank: GeneratedBank, tmp_path: Path) -> None:
    def run(seed: int, name: str) -> dict[str, bytes]:
        out = generate_activity(bank, days=30, end=END, seed=seed, out_dir=tmp_path / name)
        return {str(p.relative_to(out.out_dir)): p.read_bytes() for p in sorted(out.out_dir.rglob("*.*"))}

    first, again, other = run(1, "a"), run(1, "b"), run(2, "c")
    assert first == again
    assert first.keys() == other.keys()
    assert first["transactions/part-00000.parquet"] != other["transactions/part-00000.parquet"]


def test_a_second_run_replaces_the_parts_of_the_first(bank: GeneratedBank, tmp_path: Path) -> None:
    big = generate_activity(bank, days=60, end=END, seed=1, out_dir=tmp_path, chunk_rows=5_000, part_rows=5_000)
    assert len(list(big.files["transactions"].glob("*.parquet"))) > 1
    small = generate_activity(bank, days=5, end=END, seed=1, out_dir=tmp_path)
    parts = list(small.files["transactions"].glob("*.parquet"))
    assert len(parts) == 1
    assert pq.ParquetFile(parts[0]).metadata.num_rows == small.counts["transactions"]


def test_a_bank_folder_works_like_the_generated_bank(bank: GeneratedBank, tmp_path: Path) -> None:
    from_folder = generate_activity(bank.out_dir, days=10, end=END, seed=3, out_dir=tmp_path / "a")
    from_bank = generate_activity(bank, days=10, end=END, seed=3, out_dir=tmp_path / "b")
    assert from_folder.counts == from_bank.counts


def test_progress_is_reported_per_chunk_until_all_is_done(bank: GeneratedBank, tmp_path: Path) -> None:
    seen: list[tuple[str, int, float]] = []
    done = generate_activity(
        bank, days=20, end=END, seed=3, out_dir=tmp_path, chunk_rows=2_000, progress=lambda *a: seen.append(a)
    )
    for kind in ("transactions", "events"):
        mine = [(rows, share) for k, rows, share in seen if k == kind]
        assert len(mine) > 1
        assert mine[-1] == (done.counts[kind], 1.0)
        assert [r for r, _ in mine] == sorted(r for r, _ in mine)


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def copy_bank(bank: GeneratedBank, folder: Path) -> dict[str, list[dict[str, str]]]:
    folder.mkdir()
    tables = {}
    for kind in ("customers", "holdings", "products"):
        with bank.files[kind].open(encoding="utf-8", newline="") as handle:
            tables[kind] = list(csv.DictReader(handle))
        write_csv(folder / f"{kind}.csv", tables[kind])
    return tables


def test_bad_input_names_the_file_row_field_and_reason(bank: GeneratedBank, tmp_path: Path) -> None:
    tables = copy_bank(bank, tmp_path / "bank")
    tables["holdings"][3]["customer_no"] = "C99999999"
    write_csv(tmp_path / "bank" / "holdings.csv", tables["holdings"])
    with pytest.raises(InvalidInput, match=r"holdings\.csv row 5: customer_no 'C99999999' is not in the bank"):
        generate_activity(tmp_path / "bank", days=5, end=END, seed=1, out_dir=tmp_path / "out")
    tables["holdings"][3]["customer_no"] = tables["customers"][0]["customer_no"]
    tables["customers"][1]["opened_at"] = "2024-02-30"
    write_csv(tmp_path / "bank" / "holdings.csv", tables["holdings"])
    write_csv(tmp_path / "bank" / "customers.csv", tables["customers"])
    with pytest.raises(InvalidInput, match=r"customers\.csv row 3: opened_at '2024-02-30' is not a date"):
        generate_activity(tmp_path / "bank", days=5, end=END, seed=1, out_dir=tmp_path / "out")
    (tmp_path / "bank" / "products.csv").unlink()
    with pytest.raises(InvalidInput, match=r"products\.csv: no such file"):
        generate_activity(tmp_path / "bank", days=5, end=END, seed=1, out_dir=tmp_path / "out")


def test_the_window_must_make_sense(bank: GeneratedBank, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="days must be 1 to"):
        generate_activity(bank, days=0, end=END, seed=1, out_dir=tmp_path)
    with pytest.raises(InvalidInput, match="2000–2040"):
        generate_activity(bank, days=10, end=date(2041, 1, 5), seed=1, out_dir=tmp_path)
    with pytest.raises(InvalidInput, match="unknown activity kind"):
        generate_activity(bank, days=10, end=END, seed=1, out_dir=tmp_path, kinds=("payments",))
