"""Events API: batch ingestion of live events and transactions, the event catalogue, a customer's timeline.

Thin: read the body within the size limits, call the ingestion, return per-item statuses (202).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from huoke.events import service, timeline
from huoke.platform.clock import ClockError, parse_instant
from huoke.platform.errors import InvalidInput, MalformedRequest, PayloadTooLarge
from huoke.platform.http import PROBLEM_RESPONSES, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["events"], responses=PROBLEM_RESPONSES)


def get_ingestion(request: Request) -> service.Ingestion:
    """The process's ingestion (built by the composition root with every context's subscribers)."""
    return cast(service.Ingestion, request.app.state.ingestion)


def get_history(request: Request) -> timeline.HistoryReader | None:
    return cast(timeline.HistoryReader | None, getattr(request.app.state, "timeline_history", None))


IngestionDep = Annotated[service.Ingestion, Depends(get_ingestion)]
HistoryDep = Annotated[timeline.HistoryReader | None, Depends(get_history)]


class ItemError(BaseModel):
    field: str
    reason: str


class ItemStatus(BaseModel):
    index: int = Field(description="position of the item in the batch, from 0")
    event_id: str | None = None
    txn_id: str | None = None
    status: str = Field(description="accepted | duplicate | rejected")
    one_id: str | None = Field(default=None, description="the identity unit an accepted item was recorded on")
    errors: list[ItemError] = Field(default_factory=list)


class BatchResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    results: list[ItemStatus]


_BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "array", "items": {"type": "object"}},
                        {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}},
                    ]
                }
            }
        },
        "description": 'a JSON array of items (CONTRACTS.md §2 shape), or {"items": [...]}',
    }
}
_TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"description": "more items or bytes than one batch may hold"}}


async def read_batch(request: Request, max_bytes: int) -> list[Any]:
    """The batch's items; 413 past ``max_bytes``, 400 naming the position of malformed JSON."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"a batch is at most {max_bytes} bytes, not {declared}", code="batch_too_large")
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"a batch is at most {max_bytes} bytes", code="batch_too_large")
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedRequest(_where(exc), code="malformed_json") from exc
    items = document.get("items") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise MalformedRequest('the body must be a JSON array of items or {"items": [...]}', code="not_a_batch")
    return items


def _where(exc: json.JSONDecodeError | UnicodeDecodeError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"the body is not UTF-8 (byte {exc.start})"
    return f"malformed JSON at line {exc.lineno}, column {exc.colno} (character {exc.pos}): {exc.msg}"


def _actor(request: Request) -> str:
    return f"api:{getattr(request.state, 'api_key_id', 'unknown')}"


@router.post("/events", status_code=202, response_model=BatchResult, openapi_extra=_BATCH_BODY, responses=_TOO_LARGE)
async def post_events(request: Request, ingestion: IngestionDep) -> JSONResponse:
    """Ingest up to 1,000 events (1 MB); each item is accepted, a duplicate, or rejected with field and reason."""
    items = await read_batch(request, ingestion.runtime.settings.ingest_max_bytes)
    report = await run_in_threadpool(ingestion.events, items, actor=_actor(request))
    return JSONResponse(report.as_dict(), status_code=202)  # already in the documented shape: no re-validation


@router.post(
    "/transactions", status_code=202, response_model=BatchResult, openapi_extra=_BATCH_BODY, responses=_TOO_LARGE
)
async def post_transactions(request: Request, ingestion: IngestionDep) -> JSONResponse:
    """Ingest up to 1,000 transactions (1 MB); per-item statuses as for events."""
    items = await read_batch(request, ingestion.runtime.settings.ingest_max_bytes)
    report = await run_in_threadpool(ingestion.transactions, items, actor=_actor(request))
    return JSONResponse(report.as_dict(), status_code=202)


class EventTypeIn(BaseModel):
    name: str = Field(description="2-64 lower-case letters, digits and _")
    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema (2020-12) of the properties object")
    description: str | None = None


@router.get("/event-types")
def get_event_types(runtime: RuntimeDep) -> dict[str, Any]:
    """The standard catalogue and every registered custom type, with their property schemas."""
    return {"types": service.list_event_types(runtime)}


@router.post("/event-types", status_code=201)
def post_event_type(body: EventTypeIn, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Register a custom event type, or a new version of one."""
    return service.register_event_type(
        runtime, name=body.name, schema=body.schema_, description=body.description, actor=_actor(request)
    )


@router.get("/customers/{one_id}/timeline")
def get_timeline(
    one_id: str,
    runtime: RuntimeDep,
    history: HistoryDep,
    types: Annotated[str | None, Query(description="comma-separated event types and txn_types")] = None,
    since: Annotated[str | None, Query(description="ISO 8601; without offset: business time zone")] = None,
    limit: Annotated[int, Query(ge=1, le=timeline.MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    """A customer's events and transactions, newest first, from the live store and lake history."""
    wanted = frozenset(t.strip() for t in (types or "").split(",") if t.strip())
    query = timeline.TimelineQuery(one_id, wanted, _since(since, runtime.settings.zone), limit)
    return timeline.timeline(runtime, query, history)


def _since(text: str | None, zone: Any) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text, zone)
    except ClockError as exc:
        raise InvalidInput(f"since: {exc}", code="invalid_since") from exc
