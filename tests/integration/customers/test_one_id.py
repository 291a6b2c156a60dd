"""ONE_ID over the store: conflicts recorded, anonymous observations merged, merges undone, order independence."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from huoke.customers.identity_service import observe_identities
from huoke.customers.import_service import import_file
from huoke.customers.service import CustomerLookup, list_conflicts, list_merges, show_customer, undo_merge
from huoke.customers.store import CustomerRow
from huoke.platform.errors import InvalidInput
from huoke.platform.runtime import Runtime
from tests.integration.customers import bank_files as bank

REFERENCE = ("org", "staff", "products")


def load_reference(runtime: Runtime, folder: Path) -> None:
    files = bank.write_bank(folder)
    for kind in REFERENCE:
        import_file(runtime, kind=kind, path=files[kind])


def import_customers(runtime: Runtime, path: Path, rows: list[dict[str, str]]) -> None:
    import_file(runtime, kind="customers", path=bank.write_csv(path, rows))


def customer(no: str, phone: str = "", id_card: str = "", email: str = "") -> dict[str, str]:
    return {
        "customer_no": no,
        "name": "测试",
        "phone": phone,
        "id_card_no": id_card,
        "email": email,
        "branch_code": "SB01",
    }


def profile_of(runtime: Runtime, unit: str) -> str:
    with runtime.uow() as uow:
        row = uow.session.scalars(select(CustomerRow).where(CustomerRow.one_id == unit)).one()
        return row.merged_into or row.one_id


def test_a_phone_shared_by_two_customers_is_a_conflict_not_a_merge(runtime: Runtime, tmp_path: Path) -> None:
    load_reference(runtime, tmp_path / "ref")

    import_customers(runtime, tmp_path / "c.csv", [customer("A", "13912345678"), customer("B", "13912345678")])

    conflicts = list_conflicts(runtime)
    assert [(c["reason"], c["kind"], c["value"], len(c["one_ids"])) for c in conflicts] == [
        ("medium_key_shared", "phone", "139****5678", 2)
    ]
    a = show_customer(runtime, CustomerLookup(customer_no="A"))
    b = show_customer(runtime, CustomerLookup(customer_no="B"))
    assert a["one_id"] != b["one_id"]
    with pytest.raises(InvalidInput, match="belongs to 2 customers"):
        show_customer(runtime, CustomerLookup(phone="13912345678"))


def test_one_resident_id_on_two_customer_numbers_is_held_for_review(runtime: Runtime, tmp_path: Path) -> None:
    load_reference(runtime, tmp_path / "ref")
    import_customers(runtime, tmp_path / "a.csv", [customer("A", id_card=bank.ID_ZHANG)])

    import_customers(runtime, tmp_path / "b.csv", [customer("B", id_card=bank.ID_ZHANG)])

    assert [c["reason"] for c in list_conflicts(runtime)] == ["strong_key_shared"]
    assert list_merges(runtime) == []


def test_an_anonymous_device_identified_by_phone_merges_into_the_customer(runtime: Runtime, tmp_path: Path) -> None:
    load_reference(runtime, tmp_path / "ref")
    import_customers(runtime, tmp_path / "c.csv", [customer("A", "13912345678")])
    a = show_customer(runtime, CustomerLookup(customer_no="A"))["one_id"]

    first = observe_identities(runtime, {"device_id": "dev-123"}, actor="events")
    assert first["one_id"] == first["unit_one_id"] != a  # nothing known yet: an anonymous profile
    second = observe_identities(runtime, {"device_id": "dev-123", "phone": "139 1234 5678"}, actor="events")

    assert second["one_id"] == a
    assert second["merges"] == 1
    assert profile_of(runtime, first["unit_one_id"]) == a
    kinds = {i["kind"] for i in show_customer(runtime, CustomerLookup(customer_no="A"))["identities"]}
    assert {"device_id", "phone", "customer_no"} <= kinds
    assert [m["kind"] for m in list_merges(runtime)] == ["merge"]


def test_a_later_customer_with_the_same_phone_splits_the_anonymous_profile_out(
    runtime: Runtime, tmp_path: Path
) -> None:
    load_reference(runtime, tmp_path / "ref")
    import_customers(runtime, tmp_path / "a.csv", [customer("A", "13912345678")])
    seen = observe_identities(runtime, {"device_id": "dev-9", "phone": "13912345678"}, actor="events")
    assert seen["merges"] == 1

    import_customers(runtime, tmp_path / "b.csv", [customer("B", "13912345678")])

    assert profile_of(runtime, seen["unit_one_id"]) == seen["unit_one_id"]  # ambiguous now: kept apart
    assert [m["kind"] for m in list_merges(runtime)] == ["unmerge", "merge"]


def test_an_undone_merge_stays_undone(runtime: Runtime, tmp_path: Path) -> None:
    load_reference(runtime, tmp_path / "ref")
    import_customers(runtime, tmp_path / "a.csv", [customer("A", "13912345678")])
    seen = observe_identities(runtime, {"device_id": "dev-7", "phone": "13912345678"}, actor="events")
    merge_id = next(m["merge_id"] for m in list_merges(runtime) if m["kind"] == "merge")

    undone = undo_merge(runtime, merge_id=merge_id, actor="reviewer:li")

    assert undone["unmerges"] == 1
    assert profile_of(runtime, seen["unit_one_id"]) == seen["unit_one_id"]
    observe_identities(runtime, {"device_id": "dev-7"}, actor="events")  # new activity does not re-merge
    assert profile_of(runtime, seen["unit_one_id"]) == seen["unit_one_id"]
    with pytest.raises(InvalidInput, match="already undone"):
        undo_merge(runtime, merge_id=merge_id, actor="reviewer:li")


def _final_groups(runtime: Runtime) -> set[frozenset[str]]:
    """Each profile as the set of keys' masks it holds: comparable across runs with different one_ids."""
    with runtime.uow() as uow:
        one_ids = list(uow.session.scalars(select(CustomerRow.one_id)))
    groups: dict[str, set[str]] = {}
    for one_id in one_ids:
        view = show_customer(runtime, CustomerLookup(one_id=one_id))
        groups.setdefault(view["one_id"], set()).update(f"{i['kind']}:{i['value']}" for i in view["identities"])
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("order", ["customers_first", "observations_first"])
def test_the_outcome_does_not_depend_on_arrival_order(runtime: Runtime, tmp_path: Path, order: str) -> None:
    load_reference(runtime, tmp_path / "ref")
    people = [customer("A", "13912345678", email="a@example.com"), customer("B", "13800002222")]
    sightings = [
        {"device_id": "d1", "phone": "13912345678"},
        {"device_id": "d1", "email": "a@example.com"},
        {"device_id": "d2", "phone": "13800002222"},
        {"device_id": "d3"},
    ]

    def customers() -> None:
        import_customers(runtime, tmp_path / "c.csv", people)

    def observations() -> None:
        for identity in sightings:
            observe_identities(runtime, identity, actor="events")

    steps = [customers, observations] if order == "customers_first" else [observations, customers]
    for step in steps:
        step()

    assert _final_groups(runtime) == {
        frozenset({"customer_no:A", "phone:139****5678", "email:a***@example.com", "device_id:d1…"}),
        frozenset({"customer_no:B", "phone:138****2222", "device_id:d2…"}),
        frozenset({"device_id:d3…"}),
    }
