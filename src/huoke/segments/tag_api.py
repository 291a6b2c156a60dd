"""Tags API: every tag, defining a rule tag (422 with the JSON path of an invalid rule), a customer's tags.

Thin: parse, call one service function, return its result.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from huoke.platform.http import PROBLEM_RESPONSES, Problem, RuntimeDep
from huoke.segments import tag_service

router = APIRouter(prefix="/api/v1", tags=["tags"], responses=PROBLEM_RESPONSES)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "no such customer"}}
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": Problem, "description": "the name is a manual tag"}}


class RuleTagIn(BaseModel):
    name: str = Field(description="1-64 characters; not `active` nor starting lifecycle_, value_, spend_ or age_")
    rule: dict[str, Any] = Field(description="one rule of the segment rule DSL (docs/segments.md)")
    description: str | None = Field(default=None, max_length=2000)


class TagRead(BaseModel):
    name: str
    kind: str = Field(description="computed | rule | manual")
    description: str | None = None
    version: int | None = None
    rule: dict[str, Any] | None = None
    holders: int = Field(description="identity units holding the tag now")


class TagList(BaseModel):
    tags: list[TagRead]


class RuleTagRead(BaseModel):
    name: str
    kind: str
    version: int
    rule: dict[str, Any] | None
    description: str | None
    updated_at: str
    changed: bool = Field(description="false when the same rule was given again")


class HeldTag(BaseModel):
    name: str
    kind: str
    assigned_at: str


class TagPeriod(HeldTag):
    assigned_by: str
    removed_at: str | None
    removed_by: str | None


class CustomerTags(BaseModel):
    one_id: str
    customer_no: str | None
    tags: list[HeldTag] = Field(description="the tags held now")
    history: list[TagPeriod] = Field(description="every assignment, oldest first, with its removal if any")


def _actor(request: Request) -> str:
    return f"api:{getattr(request.state, 'api_key_id', 'unknown')}"


@router.get("/tags", response_model=TagList)
def get_tags(runtime: RuntimeDep) -> dict[str, Any]:
    """Every tag (computed, rule and manual) with how many identity units hold it now."""
    return tag_service.list_tags(runtime)


@router.post("/tags", response_model=RuleTagRead, responses=_CONFLICT)
def post_rule_tag(body: RuleTagIn, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Define a rule tag or give it a new rule; customers get it at the next refresh. An invalid rule answers
    422 with ``errors.path``, the JSON path of the offending node."""
    return tag_service.define_rule_tag(
        runtime, name=body.name, rule=body.rule, description=body.description, actor=_actor(request)
    )


@router.get("/customers/{one_id}/tags", response_model=CustomerTags, responses=_NOT_FOUND)
def get_customer_tags(one_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    """The customer's tags now and their history (assigned and removed times)."""
    return tag_service.customer_tags(runtime, one_id=one_id)
