"""The synthetic city commercial bank: files follow CONTRACTS.md §2 and look like a real retail book."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median

import pytest

from huoke.customers.validation import normalize_mobile, normalize_resident_id, resident_id_birth_date
from huoke.demo.generator import GeneratedBank, generate_bank

AS_OF = date(2025, 6, 30)
CUSTOMERS = 3_000
SEED = 20250630
KINDS = ("org", "staff", "products", "customers", "holdings", "consents")
CONTRACT_COLUMNS = {
    "org": ["code", "name", "parent_code", "level"],
    "staff": ["staff_no", "name", "org_code", "role", "phone"],
    "products": ["product_code", "name", "product_type", "risk_level"],
    "customers": [
        "customer_no", "name", "gender", "birth_date", "phone", "email", "id_card_no", "wechat_openid",
        "wechat_unionid", "branch_code", "rm_staff_no", "opened_at", "risk_level", "occupation", "marital_status",
        "city",
    ],
    "holdings": [
        "account_no", "customer_no", "product_code", "product_type", "status", "opened_at", "closed_at",
        "balance", "credit_limit", "card_level", "card_role", "approved_at",
    ],
    "consents": ["customer_no", "channel", "purpose", "status", "recorded_at", "source", "notice_version"],
}  # fmt: skip
PRODUCT_TYPES = {
    "debit_card", "credit_card", "demand_deposit", "time_deposit", "wealth", "fund", "insurance", "loan",
    "mortgage", "other",
}  # fmt: skip
AUM_TYPES = {"demand_deposit", "time_deposit", "wealth", "fund"}
MONEY = re.compile(r"^\d+\.\d{2}$")

Rows = list[dict[str, str]]


def read(bank: GeneratedBank, kind: str) -> Rows:
    with bank.files[kind].open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def header(bank: GeneratedBank, kind: str) -> list[str]:
    with bank.files[kind].open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def age(birth: str) -> int:
    born = date.fromisoformat(birth)
    return AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))


def luhn_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBank:
    return generate_bank(tmp_path_factory.mktemp("bank"), customers=CUSTOMERS, seed=SEED, as_of=AS_OF)


@pytest.fixture(scope="module")
def tables(bank: GeneratedBank) -> dict[str, Rows]:
    return {kind: read(bank, kind) for kind in KINDS}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first = generate_bank(tmp_path / "a", customers=500, seed=7, as_of=AS_OF)
    second = generate_bank(tmp_path / "b", customers=500, seed=7, as_of=AS_OF)
    other = generate_bank(tmp_path / "c", customers=500, seed=8, as_of=AS_OF)

    for kind in KINDS:
        assert first.files[kind].read_bytes() == second.files[kind].read_bytes(), kind
    assert first.counts == second.counts
    for kind in ("staff", "customers", "holdings", "consents"):
        assert first.files[kind].read_bytes() != other.files[kind].read_bytes(), kind


def test_files_headers_and_counts_follow_the_contract(bank: GeneratedBank, tables: dict[str, Rows]) -> None:
    assert set(bank.files) == set(KINDS)
    for kind in KINDS:
        assert bank.files[kind] == bank.out_dir / f"{kind}.csv"
        assert bank.counts[kind] == len(tables[kind])
        assert not bank.files[kind].read_bytes().startswith(b"\xef\xbb\xbf")
    for kind in ("org", "staff", "products", "holdings", "consents"):
        assert header(bank, kind) == CONTRACT_COLUMNS[kind]
    customer_header = header(bank, "customers")
    assert customer_header[: len(CONTRACT_COLUMNS["customers"])] == CONTRACT_COLUMNS["customers"]
    assert 1 <= len(customer_header) - len(CONTRACT_COLUMNS["customers"]) <= 2  # custom attributes
    assert bank.counts["customers"] == CUSTOMERS


def test_required_values_are_present_and_in_their_vocabularies(tables: dict[str, Rows]) -> None:
    customers = tables["customers"]
    assert all(c["customer_no"] for c in customers)
    assert {c["gender"] for c in customers} == {"M", "F", "U"}
    assert {c["risk_level"] for c in customers} <= {"", "C1", "C2", "C3", "C4", "C5"}
    assert {c["marital_status"] for c in customers} == {"single", "married", "divorced", "widowed"}
    assert all(re.fullmatch(r"C\d{8}", c["customer_no"]) for c in customers)
    assert len({c["customer_no"] for c in customers}) == CUSTOMERS
    assert all(re.fullmatch(r"S\d{6}", s["staff_no"]) for s in tables["staff"])
    assert {s["role"] for s in tables["staff"]} == {"rm", "teller", "manager", "marketer", "other"}
    assert {c["member_since_channel"] for c in customers} >= {"branch_counter", "mobile_app"}


def test_every_phone_is_a_valid_china_mobile_and_few_are_shared(tables: dict[str, Rows]) -> None:
    phones = [c["phone"] for c in tables["customers"]] + [s["phone"] for s in tables["staff"] if s["phone"]]
    for phone in phones:
        assert normalize_mobile(phone) == phone
    counts = Counter(c["phone"] for c in tables["customers"])
    shared = sum(n for n in counts.values() if n > 1) / CUSTOMERS
    assert 0 < shared <= 0.02


def test_every_resident_id_is_valid_unique_and_embeds_the_birth_date(tables: dict[str, Rows]) -> None:
    customers = tables["customers"]
    for customer in customers:
        number = normalize_resident_id(customer["id_card_no"], today=AS_OF)
        assert resident_id_birth_date(number) == date.fromisoformat(customer["birth_date"])
        if customer["gender"] in ("M", "F"):
            assert int(number[16]) % 2 == (1 if customer["gender"] == "M" else 0)
    assert len({c["id_card_no"] for c in customers}) == CUSTOMERS


def test_references_resolve(tables: dict[str, Rows]) -> None:
    org = {u["code"]: u for u in tables["org"]}
    rms = {s["staff_no"] for s in tables["staff"] if s["role"] == "rm"}
    products = {p["product_code"]: p["product_type"] for p in tables["products"]}
    customer_nos = {c["customer_no"] for c in tables["customers"]}

    assert all(s["org_code"] in org for s in tables["staff"])
    assert all(org[c["branch_code"]]["level"] == "sub_branch" for c in tables["customers"])
    assigned = [c["rm_staff_no"] for c in tables["customers"] if c["rm_staff_no"]]
    assert assigned
    assert set(assigned) <= rms
    for holding in tables["holdings"]:
        assert holding["customer_no"] in customer_nos
        assert products[holding["product_code"]] == holding["product_type"]
    assert {c["customer_no"] for c in tables["consents"]} <= customer_nos


def test_org_tree_of_a_city_commercial_bank(tables: dict[str, Rows]) -> None:
    units = tables["org"]
    by_code = {u["code"]: u for u in units}
    levels = Counter(u["level"] for u in units)
    assert by_code["HO"]["level"] == "head_office"
    assert by_code["HO"]["parent_code"] == ""
    assert levels["head_office"] == 1
    assert levels["branch"] >= 5
    assert levels["sub_branch"] >= 30
    assert levels["team"] > 0
    parent_level = {"branch": "head_office", "sub_branch": "branch", "team": "sub_branch"}
    patterns = {"branch": r"BR\d{2}", "sub_branch": r"SB\d{4}", "team": r"TM\d{6}"}
    for unit in units:
        if unit["level"] != "head_office":
            assert by_code[unit["parent_code"]]["level"] == parent_level[unit["level"]]
            assert re.fullmatch(patterns[unit["level"]], unit["code"])
    rms_per_unit = Counter(s["org_code"] for s in tables["staff"] if s["role"] == "rm")
    for sub_branch in (u["code"] for u in units if u["level"] == "sub_branch"):
        in_branch = sum(
            n for code, n in rms_per_unit.items() if code.startswith(("SB", "TM")) and sub_branch[2:] in code
        )
        assert in_branch >= 3


def test_about_a_third_are_silver_customers(tables: dict[str, Rows]) -> None:
    ages = [age(c["birth_date"]) for c in tables["customers"]]
    assert min(ages) >= 18
    silver = sum(a >= 60 for a in ages) / len(ages)
    assert 0.28 <= silver <= 0.40
    assert sum(60 <= a < 75 for a in ages) > sum(a >= 75 for a in ages) > 0


def test_aum_follows_the_20_80_rule_and_silver_customers_hold_more_savings(tables: dict[str, Rows]) -> None:
    ages = {c["customer_no"]: age(c["birth_date"]) for c in tables["customers"]}
    aum: dict[str, float] = defaultdict(float)
    deposits: dict[str, float] = defaultdict(float)
    for holding in tables["holdings"]:
        if holding["product_type"] in AUM_TYPES:
            aum[holding["customer_no"]] += float(holding["balance"])
        if holding["product_type"] in ("demand_deposit", "time_deposit"):
            deposits[holding["customer_no"]] += float(holding["balance"])
    ranked = sorted((aum.get(no, 0.0) for no in ages), reverse=True)
    top_share = sum(ranked[: len(ranked) // 5]) / sum(ranked)
    assert 0.70 <= top_share <= 0.90
    silver_savings = sum(v for no, v in deposits.items() if ages[no] >= 60) / sum(deposits.values())
    assert 0.25 <= silver_savings <= 0.55  # about 38%; one very rich customer moves it at this size
    silver_median = median(v for no, v in deposits.items() if ages[no] >= 60)
    assert silver_median > median(v for no, v in deposits.items() if ages[no] < 60)


def test_affluent_customers_have_rms_and_silver_customers_are_conservative(tables: dict[str, Rows]) -> None:
    aum: dict[str, float] = defaultdict(float)
    time_deposit_holders = set()
    for holding in tables["holdings"]:
        if holding["product_type"] in AUM_TYPES:
            aum[holding["customer_no"]] += float(holding["balance"])
        if holding["product_type"] == "time_deposit":
            time_deposit_holders.add(holding["customer_no"])
    customers = tables["customers"]
    affluent = [c for c in customers if aum[c["customer_no"]] >= 500_000]
    mass = [c for c in customers if aum[c["customer_no"]] < 20_000]
    assert sum(bool(c["rm_staff_no"]) for c in affluent) / len(affluent) >= 0.8
    assert sum(bool(c["rm_staff_no"]) for c in mass) / len(mass) <= 0.1
    silver = [c for c in customers if age(c["birth_date"]) >= 60]
    assessed = [c["risk_level"] for c in silver if c["risk_level"]]
    assert sum(level in ("C1", "C2") for level in assessed) / len(assessed) >= 0.7
    younger = [c for c in customers if age(c["birth_date"]) < 60]
    silver_rate = sum(c["customer_no"] in time_deposit_holders for c in silver) / len(silver)
    assert silver_rate > 1.5 * sum(c["customer_no"] in time_deposit_holders for c in younger) / len(younger)


def test_holdings_are_plausible(tables: dict[str, Rows]) -> None:
    holdings = tables["holdings"]
    types = Counter(h["product_type"] for h in holdings)
    per_customer = {t: n / CUSTOMERS for t, n in types.items()}
    assert set(types) == PRODUCT_TYPES
    assert per_customer["debit_card"] > 0.9
    assert per_customer["demand_deposit"] > 0.9
    assert 2.0 <= len(holdings) / CUSTOMERS <= 3.0
    assert len({h["account_no"] for h in holdings}) == len(holdings)
    assert {h["status"] for h in holdings} == {"active", "dormant", "closed"}
    customer_since = {c["customer_no"]: date.fromisoformat(c["opened_at"]) for c in tables["customers"]}
    for holding in holdings:
        assert MONEY.match(holding["balance"])
        assert (holding["credit_limit"] != "") == (holding["product_type"] == "credit_card")
        opened = date.fromisoformat(holding["opened_at"])
        assert customer_since[holding["customer_no"]] <= opened < AS_OF
        if holding["status"] == "closed":
            assert opened <= date.fromisoformat(holding["closed_at"]) < AS_OF
            assert holding["balance"] == "0.00"
        else:
            assert holding["closed_at"] == ""


def test_card_numbers_have_a_bank_prefix_and_pass_luhn(tables: dict[str, Rows]) -> None:
    cards = [h for h in tables["holdings"] if h["product_type"] in ("debit_card", "credit_card")]
    for card in cards:
        assert re.fullmatch(r"62\d{14}", card["account_no"])
        assert luhn_valid(card["account_no"])
        assert card["card_level"] in ("standard", "gold", "platinum", "diamond")
    others = [h for h in tables["holdings"] if h["product_type"] not in ("debit_card", "credit_card")]
    assert all(re.fullmatch(r"\d{18}", h["account_no"]) and h["card_level"] == "" for h in others)


def test_credit_cards_are_rarer_among_silver_customers(tables: dict[str, Rows]) -> None:
    silver = {c["customer_no"] for c in tables["customers"] if age(c["birth_date"]) >= 60}
    holders = {h["customer_no"] for h in tables["holdings"] if h["product_type"] == "credit_card"}
    silver_rate = len(holders & silver) / len(silver)
    others_rate = len(holders - silver) / (CUSTOMERS - len(silver))
    assert 0.22 <= others_rate <= 0.40
    assert silver_rate < others_rate / 2


def test_coffee_cards_include_recent_gold_and_platinum_primaries_and_supplementaries(tables: dict[str, Rows]) -> None:
    coffee = [h for h in tables["holdings"] if h["product_code"] == "CC-COFFEE"]
    assert {h["card_level"] for h in coffee} == {"gold", "platinum"}
    assert 0.01 <= len({h["customer_no"] for h in coffee}) / CUSTOMERS <= 0.08
    recent = AS_OF - timedelta(days=120)
    new_primaries = Counter(
        h["card_level"]
        for h in coffee
        if h["card_role"] == "primary" and datetime.fromisoformat(h["approved_at"]).date() >= recent
    )
    assert new_primaries["gold"] > 0
    assert new_primaries["platinum"] > 0
    supplementary = [h for h in coffee if h["card_role"] == "supplementary"]
    assert supplementary
    primary_holders = {h["customer_no"] for h in coffee if h["card_role"] == "primary"}
    assert all(h["customer_no"] not in primary_holders for h in supplementary)


def test_timestamps_carry_the_shanghai_offset(tables: dict[str, Rows]) -> None:
    stamps = [h["approved_at"] for h in tables["holdings"] if h["approved_at"]]
    stamps += [c["recorded_at"] for c in tables["consents"]]
    for stamp in stamps:
        moment = datetime.fromisoformat(stamp)
        assert moment.utcoffset() == timedelta(hours=8)
        assert moment.date() < AS_OF


def test_consent_histories_have_evidence_and_some_withdrawals(tables: dict[str, Rows]) -> None:
    opened = {c["customer_no"]: date.fromisoformat(c["opened_at"]) for c in tables["customers"]}
    consents = tables["consents"]
    assert {c["channel"] for c in consents} == {"sms", "email", "wechat", "push"}
    assert {c["purpose"] for c in consents} == {"marketing"}
    histories: dict[tuple[str, str], list[str]] = defaultdict(list)
    for consent in consents:
        assert datetime.fromisoformat(consent["recorded_at"]).date() >= opened[consent["customer_no"]]
        assert consent["source"]
        assert re.fullmatch(r"\d{4}\.[12]", consent["notice_version"])
        histories[consent["customer_no"], consent["channel"]].append(consent["status"])
    assert {no for no, _ in histories} == set(opened)  # every customer has a consent record
    finally_withdrawn = sum(h[-1] == "withdrawn" for h in histories.values()) / len(histories)
    assert 0.08 <= finally_withdrawn <= 0.18
    assert any(h[:2] == ["granted", "withdrawn"] for h in histories.values())


def test_product_catalogue(tables: dict[str, Rows]) -> None:
    products = tables["products"]
    assert 25 <= len(products) <= 40
    assert {p["product_type"] for p in products} >= PRODUCT_TYPES - {"other"}
    assert {p["risk_level"] for p in products if p["product_type"] == "wealth"} == {"R1", "R2", "R3", "R4", "R5"}
    assert any(p["product_code"] == "CC-COFFEE" and p["product_type"] == "credit_card" for p in products)


def test_progress_is_reported_per_kind_until_the_final_count(tmp_path: Path) -> None:
    calls: list[tuple[str, int]] = []
    result = generate_bank(
        tmp_path, customers=12_000, seed=1, as_of=AS_OF, progress=lambda kind, done: calls.append((kind, done))
    )
    for kind in KINDS:
        reported = [done for k, done in calls if k == kind]
        assert reported == sorted(reported)
        assert reported[-1] == result.counts[kind]
    assert [done for kind, done in calls if kind == "customers"] == [10_000, 12_000]
    holdings = [done for kind, done in calls if kind == "holdings"][:-1]
    assert [done // 10_000 for done in holdings] == list(range(1, len(holdings) + 1))  # about every 10,000
    assert all(done % 10_000 < 20 for done in holdings)
