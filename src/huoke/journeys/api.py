"""Journeys API: save, list, change state, status with step and goal counts, and the API trigger."""

from __future__ import annotations

from typing import Any, Literal, cast

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from huoke.journeys import service
from huoke.platform.http import PROBLEM_RESPONSES, RuntimeDep
from huoke.platform.work import Subscriptions

router = APIRouter(prefix="/api/v1/journeys", tags=["journeys"], responses=PROBLEM_RESPONSES)
ACTOR = "api"


class EntryCreate(BaseModel):
    customer_no: str
    key: str = Field(min_length=1, max_length=100, description="the same key enters the customer once")


@router.post("", status_code=201)
async def create_journey(runtime: RuntimeDep, document: dict[str, Any]) -> dict[str, Any]:
    return await run_in_threadpool(service.create_journey, runtime, document, actor=ACTOR)


@router.get("")
async def list_journeys(runtime: RuntimeDep) -> dict[str, Any]:
    return {"journeys": await run_in_threadpool(service.list_journeys, runtime)}


@router.get("/{name}")
async def journey_status(runtime: RuntimeDep, name: str) -> dict[str, Any]:
    return await run_in_threadpool(service.journey_status, runtime, name=name)


@router.post("/{name}/entries", status_code=202)
async def enter(runtime: RuntimeDep, request: Request, name: str, body: EntryCreate) -> dict[str, Any]:
    """The API trigger of a journey whose trigger is `{"api": true}`."""
    subscriptions = cast(Subscriptions, request.app.state.subscriptions)
    return await run_in_threadpool(
        service.enter_by_api, runtime, subscriptions, name=name, customer_no=body.customer_no, key=body.key
    )


@router.post("/{name}/{command}")
async def change_state(
    runtime: RuntimeDep, name: str, command: Literal["activate", "pause", "resume", "stop"]
) -> dict[str, Any]:
    return await run_in_threadpool(service.change_state, runtime, name=name, command=command, actor=ACTOR)
