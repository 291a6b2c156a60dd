"""The HTTP API shell: app factory, health check, API-key auth and errors as problem+json.

Contexts contribute ``APIRouter``s under ``/api/v1``; every one of them is behind the API-key check.
Routes and dependencies are plain ``def`` so FastAPI runs their blocking store calls in its thread pool.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from huoke.platform.apikeys import verify_api_key
from huoke.platform.errors import HuokeError, problem
from huoke.platform.runtime import Runtime

API_PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger(__name__)


class Problem(BaseModel):
    """RFC 9457 problem document; ``errors`` names each offending field and why."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: dict[str, Any] | None = None
    instance: str | None = None


class Health(BaseModel):
    status: str
    database: str


# For route ``responses=``: documents the problem+json shape of the errors every /api/v1 route may answer.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing, unknown or revoked API key"},
    422: {"model": Problem, "description": "invalid parameters; `errors` names each field"},
    500: {"model": Problem, "description": "internal error (logged; no details are returned)"},
}


def get_runtime(request: Request) -> Runtime:
    """The process runtime the app was built with."""
    return cast(Runtime, request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer hk_…`")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: hk_…`")


def require_api_key(
    request: Request,
    runtime: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key_header)],
) -> str:
    """The caller's API key id (401 problem+json otherwise); also kept in ``request.state.api_key_id``."""
    token = bearer.credentials if bearer is not None else header_key
    key_id = verify_api_key(runtime, token)
    request.state.api_key_id = key_id
    return key_id


ApiKeyDep = Annotated[str, Depends(require_api_key)]


def build_api(runtime: Runtime, routers: list[APIRouter]) -> FastAPI:
    """The app over RUNTIME with each router mounted behind API-key auth; closes RUNTIME on shutdown."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.close()

    app = FastAPI(
        title="huoke API",
        summary="Customer-lifecycle marketing for banks",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    _install_error_handlers(app)
    app.add_api_route(
        "/healthz",
        healthz,
        methods=["GET"],
        response_model=Health,
        responses={503: {"model": Health, "description": "the store is unreachable"}},
        tags=["operations"],
    )
    for router in routers:
        app.include_router(router, dependencies=[Depends(require_api_key)])
    return app


def healthz(runtime: RuntimeDep) -> Any:
    """Liveness and store reachability, for load balancers (no API key needed)."""
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("select 1"))
    except SQLAlchemyError:
        logger.exception("health check: the operational store is unreachable")
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"}, status_code=HTTPStatus.SERVICE_UNAVAILABLE
        )
    return {"status": "ok", "database": "ok"}


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HuokeError, _huoke_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)


def problem_response(error: HuokeError, request: Request) -> JSONResponse:
    """ERROR as an RFC 9457 problem+json response (with ``WWW-Authenticate`` on 401)."""
    headers = {"WWW-Authenticate": 'Bearer realm="huoke"'} if error.http_status == HTTPStatus.UNAUTHORIZED else None
    return JSONResponse(
        problem(error, instance=request.url.path),
        status_code=error.http_status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _huoke_error(request: Request, exc: HuokeError) -> JSONResponse:
    if exc.http_status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.error("request %s %s failed: %s (%s)", request.method, request.url.path, exc.code, exc)
    return problem_response(exc, request)


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # Field and reason only: the rejected input may be PII (a phone number) and is not echoed back.
    fields: dict[str, Any] = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err.get("loc", ())) or "request"
        fields[name] = "; ".join(filter(None, (fields.get(name), str(err.get("msg", "invalid")))))
    error = HuokeError(f"invalid request: {', '.join(fields)}", code="invalid_request", details=fields)
    error.http_status = HTTPStatus.UNPROCESSABLE_ENTITY
    return problem_response(error, request)


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    error = HuokeError(str(exc.detail), code=_code(exc.status_code))
    error.http_status = exc.status_code
    return problem_response(error, request)


def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # A defect: the client gets an incident id to quote; the operators get the stack trace in the log.
    incident = uuid.uuid4().hex[:12]
    logger.error("unhandled error in %s %s (incident %s)", request.method, request.url.path, incident, exc_info=exc)
    error = HuokeError(f"internal error (incident {incident}); it was logged for the operators", code="internal_error")
    error.http_status = HTTPStatus.INTERNAL_SERVER_ERROR
    return problem_response(error, request)


def _code(status: int) -> str:
    """404 → not_found, 405 → method_not_allowed …: the standard reason phrase in snake_case."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return f"http_{status}"
