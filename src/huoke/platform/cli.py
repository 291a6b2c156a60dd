"""Platform commands: init (migrate, choose the clock), run --until (advance simulated time), keys."""

from __future__ import annotations

import base64
import os
import secrets
from typing import Annotated, Any

import typer

from huoke.platform.clock import ClockError, parse_instant
from huoke.platform.console import emit, stderr, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.service import Platform, PlatformFactory
from huoke.platform.settings import KEY_BYTES

JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("run")(run)
    keys = typer.Typer(help="secret keys for PII encryption and blind indexes")
    keys.command("generate")(generate_keys)
    app.add_typer(keys, name="keys")


def _platform(ctx: typer.Context) -> Platform:
    factory: PlatformFactory = ctx.obj
    return factory.platform()


def init(
    ctx: typer.Context,
    clock: Annotated[str, typer.Option(help="real | simulated")] = "real",
    now: Annotated[str | None, typer.Option(help="start of a simulated clock (ISO 8601)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create the data dir and migrate the store (idempotent); choose its clock."""
    with user_errors(as_json=as_json):
        if clock not in ("real", "simulated"):
            raise InvalidInput(f"--clock must be real or simulated, not {clock!r}", code="bad_clock")
        plat = _platform(ctx)
        start = _instant(now, plat) if now else None
        result = plat.init(mode="simulated" if clock == "simulated" else "real", start=start)
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
    emit(
        result, as_json=as_json, render=lambda r: stderr.print(f"processed {r['processed']}; now {r['now']}")
    )


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
