"""Platform commands: init, run --until (advance simulated time), keys, apikeys, serve (the HTTP API)."""

from __future__ import annotations

import base64
import logging
import os
import secrets
from enum import StrEnum
from typing import Annotated, Any

import typer

from huoke.platform import apikeys, work_cli
from huoke.platform.clock import ClockError, parse_instant
from huoke.platform.console import emit, stderr, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.service import Platform, PlatformFactory
from huoke.platform.settings import KEY_BYTES
from huoke.platform.worker import BackgroundWorker


class ClockChoice(StrEnum):
    real = "real"
    simulated = "simulated"


JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("run")(run)
    keys = typer.Typer(help="secret keys for PII encryption and blind indexes")
    keys.command("generate")(generate_keys)
    app.add_typer(keys, name="keys")
    api_keys = typer.Typer(help="API keys for the HTTP API", no_args_is_help=True)
    api_keys.command("create")(create_api_key)
    api_keys.command("list")(list_api_keys)
    api_keys.command("revoke")(revoke_api_key)
    app.add_typer(api_keys, name="apikeys")
    app.command("serve")(serve)
    work_cli.register(app)


def _platform(ctx: typer.Context) -> Platform:
    factory: PlatformFactory = ctx.obj
    return factory.platform()


def init(
    ctx: typer.Context,
    clock: Annotated[
        ClockChoice | None, typer.Option(help="real or simulated; omitted: keep the data dir's clock (new: real)")
    ] = None,
    now: Annotated[str | None, typer.Option(help="start of a simulated clock (ISO 8601)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create the data dir and migrate the store (idempotent); choose its clock."""
    with user_errors(as_json=as_json):
        plat = _platform(ctx)
        start = _instant(now, plat) if now else None
        result = plat.init(mode=clock.value if clock else None, start=start)
    emit(result, as_json=as_json, render=_render_init)


def run(
    ctx: typer.Context,
    until: Annotated[str, typer.Option(help="advance the simulated clock to T (ISO 8601)")],
    as_json: JsonFlag = False,
) -> None:
    """Process all due work in time order up to T on the simulated clock, then stop."""
    with user_errors(as_json=as_json):
        plat = _platform(ctx)
        result = plat.run_until(_instant(until, plat))
    emit(result, as_json=as_json, render=lambda r: stderr.print(f"processed {r['processed']}; now {r['now']}"))


def generate_keys(as_json: JsonFlag = False) -> None:
    """Print a fresh encryption key and blind-index key as environment variables."""
    kid = f"k{secrets.token_hex(3)}"
    enc = base64.b64encode(os.urandom(KEY_BYTES)).decode()
    bidx = base64.b64encode(os.urandom(KEY_BYTES)).decode()
    result = {"HUOKE_ENCRYPTION_KEYS": f"{kid}:{enc}", "HUOKE_BLIND_INDEX_KEY": bidx}
    emit(result, as_json=as_json, render=lambda r: typer.echo("\n".join(f"{k}={v}" for k, v in r.items())))


def _instant(text: str, plat: Platform) -> Any:
    try:
        return parse_instant(text, plat.settings.zone)
    except ClockError as exc:
        raise InvalidInput(str(exc), code="bad_time") from exc


def _render_init(result: dict[str, Any]) -> None:
    stderr.print(f"data dir  {result['data_dir']}")
    stderr.print(f"database  {result['database']} (revision {result['revision']})")
    stderr.print(f"clock     {result['clock']} — now {result['now']}")


def create_api_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="who or what uses the key, e.g. mobile-app")],
    as_json: JsonFlag = False,
) -> None:
    """Create an API key; its token is printed once and cannot be shown again."""
    with user_errors(as_json=as_json):
        key_id, token = apikeys.create_api_key(_platform(ctx).runtime, name)
    emit({"key_id": key_id, "name": name.strip(), "token": token}, as_json=as_json, render=_render_token)


def list_api_keys(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """API keys, active and revoked (never their secrets)."""
    with user_errors(as_json=as_json):
        keys = [k.as_dict() for k in apikeys.list_api_keys(_platform(ctx).runtime)]
    emit({"api_keys": keys}, as_json=as_json, render=_render_keys)


def revoke_api_key(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="the key id shown by `huoke apikeys list`")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key at once (idempotent)."""
    with user_errors(as_json=as_json):
        key = apikeys.revoke_api_key(_platform(ctx).runtime, key_id)
    emit(key.as_dict(), as_json=as_json, render=lambda r: stderr.print(f"API key {r['key_id']} revoked"))


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port", min=1, max=65535)] = 8000,
) -> None:
    """Serve the HTTP API (docs at /api/v1/docs) with an in-process worker; refuses unsafe PII keys."""
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    with user_errors(as_json=False):
        factory: PlatformFactory = ctx.obj
        api = factory.api()
        background = BackgroundWorker(work_cli.work_queue(ctx))
    server = uvicorn.Server(uvicorn.Config(api, host=host, port=port, log_level="info"))
    logging.getLogger("uvicorn.access").addFilter(_drop_query_string)  # after Config set up logging
    background.start()
    # uvicorn shuts down on SIGTERM/SIGINT, then raises the signal again: this handler takes it, so the
    # worker below gets to finish its current item instead of the process dying mid-batch.
    with work_cli.stop_on_signals(background.stopping):
        try:
            server.run()
        finally:
            if not background.stop():
                stderr.print("the in-process worker is still busy; its leased items will be delivered again later")


def _drop_query_string(record: logging.LogRecord) -> bool:
    """Access log lines without the query string: it may carry PII (``?phone=…``)."""
    args = record.args
    if isinstance(args, tuple) and len(args) == 5:  # noqa: PLR2004 - uvicorn: client, method, path, version, status
        client, method, path, version, status = args
        record.args = (client, method, str(path).partition("?")[0], version, status)
    return True


def _render_token(r: dict[str, Any]) -> None:
    stderr.print(f"API key {r['key_id']} ({r['name']}) created; store the token now, it is not shown again:")
    typer.echo(r["token"])


def _render_keys(r: dict[str, Any]) -> None:
    for k in r["api_keys"]:
        stderr.print(f"{k['key_id']}  {k['status']:<8} {k['created_at']}  {k['name']}")
    if not r["api_keys"]:
        stderr.print("no API keys; create one with `huoke apikeys create NAME`")
