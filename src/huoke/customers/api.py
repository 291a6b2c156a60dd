"""Customer API: the 360° view by ONE_ID, customer number or phone; ONE_ID conflicts and merges.

Thin: parse, call one service function, return its result in the documented shape. PII is masked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from huoke.customers import service
from huoke.customers.service import CustomerLookup
from huoke.platform.errors import InvalidInput
from huoke.platform.http import PROBLEM_RESPONSES, Problem, RuntimeDep
from huoke.platform.runtime import Runtime

router = APIRouter(prefix="/api/v1/customers", tags=["customers"], responses=PROBLEM_RESPONSES)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "no such customer"}}
Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many rows")]
Section = Callable[[Runtime, str], Any]


def get_sections(request: Request) -> Mapping[str, Section]:
    """Sections of the 360° view that other contexts supply (the composition root sets them, e.g. tags)."""
    sections: Mapping[str, Section] = getattr(request.app.state, "customer_sections", {})
    return sections


SectionsDep = Annotated[Mapping[str, Section], Depends(get_sections)]


class ProfileRead(BaseModel):
    """Profile attributes; name, phone, e-mail and resident ID are masked."""

    name: str | None
    surname: str | None
    gender: str | None
    birth_date: str | None
    age: int | None
    phone: str | None
    email: str | None
    id_card_no: str | None
    branch_code: str | None
    rm_staff_no: str | None
    opened_at: str | None
    risk_level: str | None
    occupation: str | None
    marital_status: str | None
    city: str | None
    attributes: dict[str, Any]
    status: str


class IdentityRead(BaseModel):
    kind: str
    value: str = Field(description="masked")
    origin_one_id: str
    detached: bool


class HoldingRead(BaseModel):
    account_no: str = Field(description="masked")
    product_code: str
    product_name: str
    product_type: str
    status: str
    balance: str = Field(description="yuan, two decimals")
    credit_limit: str | None
    card_level: str | None
    card_role: str | None
    opened_at: str | None
    approved_at: str | None


class ConsentRead(BaseModel):
    channel: str
    purpose: str
    status: str
    recorded_at: str
    source: str | None
    notice_version: str | None


class TagRead(BaseModel):
    name: str
    kind: str = Field(description="computed | rule | manual")
    assigned_at: str


class CustomerRead(BaseModel):
    """The 360° view of one person (the surviving profile when the one asked for was merged)."""

    one_id: str
    customer_no: str | None
    profile: ProfileRead
    identities: list[IdentityRead]
    holdings: list[HoldingRead]
    consents: list[ConsentRead]
    tags: list[TagRead] = Field(description="the tags held now")
    messages: list[dict[str, Any]] = Field(
        default_factory=list, description="contact history: the latest messages, newest first, with their outcome"
    )
    merged_units: list[str] = Field(description="ONE_IDs of the profiles merged into this one")


class ConflictRead(BaseModel):
    id: int
    reason: str
    kind: str
    value: str = Field(description="masked")
    one_ids: list[str]
    detected_at: str


class ConflictList(BaseModel):
    conflicts: list[ConflictRead]


class MergeRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    merge_id: int
    kind: str
    unit_one_id: str
    from_: str = Field(alias="from")
    to: str
    at: str
    actor: str
    undone_at: str | None


class MergeList(BaseModel):
    merges: list[MergeRead]


# Fixed paths come before /{one_id}, which would otherwise capture them.
@router.get("/identity-conflicts", response_model=ConflictList)
def list_identity_conflicts(
    runtime: RuntimeDep,
    status: Annotated[str, Query(max_length=16, description="open (default) or a review outcome")] = "open",
    limit: Limit = 100,
) -> dict[str, Any]:
    """ONE_ID conflicts waiting for review (a shared phone, one resident ID on two customer numbers …)."""
    return {"conflicts": service.list_conflicts(runtime, status=status, limit=limit)}


@router.get("/merges", response_model=MergeList)
def list_merges(
    runtime: RuntimeDep,
    one_id: Annotated[str | None, Query(max_length=64, description="only merges touching it")] = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Merges and unmerges ONE_ID performed, newest first."""
    return {"merges": service.list_merges(runtime, one_id=one_id, limit=limit)}


@router.get("", response_model=CustomerRead, responses=_NOT_FOUND)
def find_customer(
    runtime: RuntimeDep,
    sections: SectionsDep,
    customer_no: Annotated[str | None, Query(min_length=1, max_length=64, description="core-banking number")] = None,
    phone: Annotated[str | None, Query(min_length=1, max_length=32, description="mobile number, any format")] = None,
) -> dict[str, Any]:
    """The 360° view by exactly one of ``customer_no`` or ``phone``."""
    if (customer_no is None) == (phone is None):
        raise InvalidInput(
            "give exactly one of the query parameters customer_no or phone",
            code="bad_lookup",
            details={"query": "exactly one of customer_no, phone"},
        )
    view = service.show_customer(runtime, CustomerLookup(customer_no=customer_no, phone=phone))
    return _with_sections(view, runtime, sections)


@router.get("/{one_id}", response_model=CustomerRead, responses=_NOT_FOUND)
def show_customer(runtime: RuntimeDep, sections: SectionsDep, one_id: str) -> dict[str, Any]:
    """The 360° view of the customer with this ONE_ID."""
    view = service.show_customer(runtime, CustomerLookup(one_id=one_id))
    return _with_sections(view, runtime, sections)


def _with_sections(view: dict[str, Any], runtime: Runtime, sections: Mapping[str, Section]) -> dict[str, Any]:
    for name, section in sections.items():
        view[name] = section(runtime, view["one_id"])
    return view
