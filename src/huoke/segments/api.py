"""Segments API: preview a rule, save and change segments, refresh them, read and export their members.

Thin: parse the body, call the service in a worker thread (queries and store writes block), return its result.
Invalid rules answer 422 with the JSON path, the offending value and the allowed choices.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated, Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from huoke.platform.http import PROBLEM_RESPONSES, RuntimeDep
from huoke.platform.work import Subscriptions
from huoke.segments import refresh as refreshing
from huoke.segments import service

router = APIRouter(prefix="/api/v1/segments", tags=["segments"], responses=PROBLEM_RESPONSES)
RULE_HELP = "a rule in the segment DSL (CONTRACTS.md §3)"


def get_subscriptions(request: Request) -> Subscriptions:
    """The subscribers that receive segment.entered / segment.exited (built by the composition root)."""
    return cast(Subscriptions, request.app.state.subscriptions)


SubscriptionsDep = Annotated[Subscriptions, Depends(get_subscriptions)]


class SegmentCreate(BaseModel):
    name: str
    rule: Any = Field(description=RULE_HELP)
    description: str | None = None
    schedule: str | None = Field(default=None, description="cron expression in the business time zone")


class SegmentUpdate(BaseModel):
    rule: Any = Field(default=None, description=RULE_HELP + "; omit to keep the rule")
    description: str | None = None
    schedule: str | None = Field(default=None, description="cron expression; an empty text clears it")


class PreviewRequest(BaseModel):
    rule: Any = Field(description=RULE_HELP)
    as_of: datetime | None = Field(default=None, description="evaluation time (default: now)")
    sync: bool = Field(default=True, description="export live rows and store changes to the lake first")


class RefreshRequest(BaseModel):
    as_of: datetime | None = None
    sync: bool = Field(default=True, description="export live rows and store snapshots to the lake first")


@router.post("/preview")
async def preview(body: PreviewRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Count, a sample of customer numbers and the SQL for a rule, without saving it."""
    return await run_in_threadpool(
        lambda: service.preview_rule(runtime, rule=body.rule, as_of=body.as_of, sync=body.sync)
    )


@router.post("", status_code=201)
async def create(body: SegmentCreate, runtime: RuntimeDep) -> dict[str, Any]:
    """Save a segment at version 1."""
    return await run_in_threadpool(
        lambda: service.create_segment(
            runtime, name=body.name, rule=body.rule, description=body.description, schedule=body.schedule
        )
    )


@router.get("")
async def list_all(runtime: RuntimeDep) -> dict[str, Any]:
    return {"segments": await run_in_threadpool(service.list_segments, runtime)}


@router.get("/{name}")
async def show(name: str, runtime: RuntimeDep) -> dict[str, Any]:
    return await run_in_threadpool(lambda: service.show_segment(runtime, name=name))


@router.patch("/{name}")
async def update(name: str, body: SegmentUpdate, runtime: RuntimeDep) -> dict[str, Any]:
    """Change the fields given; a changed rule or schedule makes a new version."""
    changes: dict[str, Any] = {}
    given = body.model_fields_set
    if "rule" in given:
        changes["rule"] = body.rule
    if "description" in given:
        changes["description"] = body.description
    if "schedule" in given:
        changes["schedule"] = body.schedule or None
    return await run_in_threadpool(lambda: service.update_segment(runtime, name=name, **changes))


@router.post("/{name}/refresh")
async def refresh(
    name: str, runtime: RuntimeDep, subscriptions: SubscriptionsDep, body: RefreshRequest | None = None
) -> dict[str, Any]:
    """Recompute the members, store the difference and publish segment.entered / segment.exited."""
    wanted = body or RefreshRequest()
    results = await run_in_threadpool(
        lambda: refreshing.refresh_segments(runtime, subscriptions, names=[name], as_of=wanted.as_of, sync=wanted.sync)
    )
    return results[0]


@router.get("/{name}/members")
async def members(
    name: str, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100_000)] = 1000, offset: int = 0
) -> dict[str, Any]:
    """The stored members' customer numbers, sorted, a page at a time."""
    found = await run_in_threadpool(lambda: service.segment_members(runtime, name=name))
    page = found["customer_nos"][max(offset, 0) : max(offset, 0) + limit]
    return {**found, "customer_nos": page, "offset": offset, "limit": limit}


@router.get("/{name}/export")
async def export(name: str, runtime: RuntimeDep) -> Response:
    """Every member as CSV: one_id, customer_no, entered_at, version."""

    def write() -> bytes:
        with TemporaryDirectory() as folder:
            path = Path(folder) / "members.csv"
            service.export_members(runtime, name=name, path=path)
            return path.read_bytes()

    content = await run_in_threadpool(write)
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f'segment-{name}.csv')}"}
    return Response(content, media_type="text/csv; charset=utf-8", headers=headers)
