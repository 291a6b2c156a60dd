"""Messaging API: templates, sending, a customer's messages, health and dead letters, the inbox, RM tasks.

`public_router` holds what customers reach without an API key: tracked links (/t/{code}) and e-mail
unsubscribe pages (/u/{token}). `inbound_router` holds provider callbacks, authenticated by their HMAC
signature instead of an API key.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from huoke.events.api import IngestionDep
from huoke.messaging import addresses, inbound, operations, service, task_service
from huoke.messaging.inbound_auth import verify_inbound
from huoke.platform.http import PROBLEM_RESPONSES, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["messaging"], responses=PROBLEM_RESPONSES)
public_router = APIRouter(tags=["customer links"])
inbound_router = APIRouter(prefix="/api/v1/inbound", tags=["provider callbacks"], responses=PROBLEM_RESPONSES)
ACTOR = "api"


class SendCreate(BaseModel):
    customer_no: str
    template: str
    priority: int = Field(default=5, ge=0, le=9)
    campaign: str | None = None
    idempotency_key: str | None = Field(default=None, max_length=120, description="the same key sends once")
    to: str | None = Field(default=None, description="a test address instead of the customer's own")
    quiet_hours: Literal["defer", "drop"] = "defer"
    offer: dict[str, Any] | None = None
    coupon: dict[str, Any] | None = None


class PreviewRequest(BaseModel):
    customer_no: str
    offer: dict[str, Any] | None = None
    coupon: dict[str, Any] | None = None


class TaskCreate(BaseModel):
    customer_no: str
    text: str
    due_hours: float = 24
    staff_no: str | None = None


class TaskOutcome(BaseModel):
    outcome: str
    note: str | None = None


class AddressSet(BaseModel):
    customer_no: str
    channel: Literal["wechat_template", "wecom_text", "push"]
    address: str = Field(min_length=1, max_length=256)


class RetryRequest(BaseModel):
    message_ids: list[str] = Field(min_length=1, max_length=1000)


@router.post("/templates", status_code=201)
async def create_template(runtime: RuntimeDep, document: dict[str, Any]) -> dict[str, Any]:
    return await run_in_threadpool(service.create_template, runtime, document, actor=ACTOR)


@router.get("/templates")
async def list_templates(runtime: RuntimeDep) -> dict[str, Any]:
    return {"templates": await run_in_threadpool(service.list_templates, runtime)}


@router.post("/templates/{name}/preview")
async def preview_template(runtime: RuntimeDep, name: str, body: PreviewRequest) -> dict[str, Any]:
    return await run_in_threadpool(
        service.preview_template, runtime, name, customer_no=body.customer_no, offer=body.offer, coupon=body.coupon
    )


@router.post("/messages", status_code=202)
async def send_message(runtime: RuntimeDep, body: SendCreate) -> dict[str, Any]:
    context = {k: v for k, v in (("offer", body.offer), ("coupon", body.coupon)) if v is not None}
    key = f"api:{body.idempotency_key}" if body.idempotency_key else None
    return await run_in_threadpool(
        service.send_message,
        runtime,
        customer_no=body.customer_no,
        template=body.template,
        priority=body.priority,
        source=ACTOR,
        idempotency_key=key,
        campaign=body.campaign,
        recipient=body.to,
        quiet_hours=body.quiet_hours,
        context=context,
    )


@router.get("/messages")
async def list_messages(runtime: RuntimeDep, customer_no: Annotated[str, Query()]) -> dict[str, Any]:
    return await run_in_threadpool(service.list_messages, runtime, customer_no=customer_no)


@router.get("/messages/health")
async def health(runtime: RuntimeDep) -> dict[str, Any]:
    return await run_in_threadpool(operations.health, runtime)


@router.get("/messages/dead-letters")
async def dead_letters(runtime: RuntimeDep) -> dict[str, Any]:
    return {"messages": await run_in_threadpool(operations.dead_letters, runtime)}


@router.post("/messages/dead-letters/retry")
async def retry_dead_letters(runtime: RuntimeDep, body: RetryRequest) -> dict[str, Any]:
    return await run_in_threadpool(operations.retry_dead_letters, runtime, message_ids=body.message_ids, actor=ACTOR)


@router.post("/addresses")
async def set_address(runtime: RuntimeDep, body: AddressSet) -> dict[str, Any]:
    """A customer's WeChat openid, WeCom user id or push device token (kept encrypted)."""
    return await run_in_threadpool(
        addresses.set_address,
        runtime,
        customer_no=body.customer_no,
        channel=body.channel,
        address=body.address,
        source=ACTOR,
        actor=ACTOR,
    )


@router.get("/customers/{one_id}/inbox")
async def customer_inbox(runtime: RuntimeDep, one_id: str, unread: bool = False) -> dict[str, Any]:
    return await run_in_threadpool(task_service.inbox, runtime, one_id=one_id, unread_only=unread)


@router.post("/customers/{one_id}/inbox/{item_id}/read")
async def mark_read(runtime: RuntimeDep, one_id: str, item_id: int) -> dict[str, Any]:
    return await run_in_threadpool(task_service.mark_read, runtime, one_id=one_id, item_id=item_id)


@router.get("/tasks")
async def list_tasks(
    runtime: RuntimeDep,
    staff_no: str | None = None,
    customer_no: str | None = None,
    status: str | None = None,
    queue: str | None = None,
) -> dict[str, Any]:
    return await run_in_threadpool(
        task_service.list_tasks, runtime, staff_no=staff_no, customer_no=customer_no, status=status, queue=queue
    )


@router.post("/tasks", status_code=201)
async def create_task(runtime: RuntimeDep, body: TaskCreate) -> dict[str, Any]:
    return await run_in_threadpool(
        task_service.create_task,
        runtime,
        customer_no=body.customer_no,
        text=body.text,
        due_hours=body.due_hours,
        staff_no=body.staff_no,
        actor=ACTOR,
    )


@router.post("/tasks/{task_id}/outcome")
async def close_task(runtime: RuntimeDep, task_id: str, body: TaskOutcome) -> dict[str, Any]:
    return await run_in_threadpool(
        task_service.close_task, runtime, task_id=task_id, outcome=body.outcome, note=body.note, actor=ACTOR
    )


@public_router.get("/t/{code}", include_in_schema=False)
async def follow_link(runtime: RuntimeDep, ingestion: IngestionDep, code: str) -> RedirectResponse:
    url = await run_in_threadpool(inbound.click, runtime, ingestion, code)
    return RedirectResponse(url, status_code=302)


@public_router.get("/u/{token}", include_in_schema=False)
async def unsubscribe_page(token: str) -> HTMLResponse:
    safe = escape(token, quote=True)
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>退订 Unsubscribe</title>'
        f'<form method="post" action="/u/{safe}"><p>确认不再接收此类营销邮件？ Stop these marketing e-mails?</p>'
        '<button type="submit">退订 Unsubscribe</button></form></html>'
    )
    return HTMLResponse(page)


@public_router.post("/u/{token}", include_in_schema=False)
async def unsubscribe(runtime: RuntimeDep, ingestion: IngestionDep, token: str) -> HTMLResponse:
    """The confirmation form and the RFC 8058 one-click POST both land here."""
    await run_in_threadpool(inbound.unsubscribe, runtime, ingestion, token)
    return HTMLResponse('<!doctype html><meta charset="utf-8"><p>已退订。You are unsubscribed.</p>')


@inbound_router.post("/sms/receipts", status_code=202)
async def sms_receipts(runtime: RuntimeDep, ingestion: IngestionDep, request: Request) -> dict[str, Any]:
    body = await verify_inbound(runtime, request, "sms")
    return await run_in_threadpool(inbound.sms_receipts, runtime, ingestion, body)


@inbound_router.post("/sms/replies", status_code=202)
async def sms_replies(runtime: RuntimeDep, ingestion: IngestionDep, request: Request) -> dict[str, Any]:
    body = await verify_inbound(runtime, request, "sms")
    return await run_in_threadpool(inbound.sms_replies, runtime, ingestion, body)


@inbound_router.post("/wechat")
async def wechat(runtime: RuntimeDep, ingestion: IngestionDep, request: Request) -> dict[str, Any]:
    body = await verify_inbound(runtime, request, "wechat_template")
    return await run_in_threadpool(inbound.wechat_event, runtime, ingestion, body)
