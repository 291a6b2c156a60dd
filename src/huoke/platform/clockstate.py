"""The persisted clock of a data dir (CONTRACTS.md §1 "Time"): real, or simulated and moved only forward."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from huoke.platform.clock import Clock, SimulatedClock, SystemClock
from huoke.platform.errors import InvalidInput
from huoke.platform.store import ClockRow

ClockMode = Literal["real", "simulated"]
_ROW_ID = 1


def load_clock(session: Session) -> Clock:
    """The data dir's clock; a store without a clock row uses the real clock."""
    row = session.get(ClockRow, _ROW_ID)
    if row is None or row.mode == "real" or row.simulated_now is None:
        return SystemClock()
    return SimulatedClock(row.simulated_now)


def has_clock(session: Session) -> bool:
    return session.get(ClockRow, _ROW_ID) is not None


def clock_mode(session: Session) -> ClockMode:
    row = session.get(ClockRow, _ROW_ID)
    return "simulated" if row is not None and row.mode == "simulated" else "real"


def set_clock(session: Session, mode: ClockMode, start: datetime | None) -> None:
    """Choose the clock at `huoke init`. Re-initialising never moves a simulated clock backwards."""
    row = session.get(ClockRow, _ROW_ID)
    if mode == "real":
        if row is None:
            session.add(ClockRow(id=_ROW_ID, mode="real", simulated_now=None))
        else:
            row.mode, row.simulated_now = "real", None
        return
    if start is None:
        raise InvalidInput("a simulated clock needs a start time (--now T)", code="missing_now")
    if row is None:
        session.add(ClockRow(id=_ROW_ID, mode="simulated", simulated_now=start))
        return
    if row.mode == "simulated" and row.simulated_now is not None and start < row.simulated_now:
        raise InvalidInput(
            f"the simulated clock is already at {row.simulated_now.isoformat()} and never moves backwards",
            code="clock_backwards",
        )
    row.mode, row.simulated_now = "simulated", start


def advance_clock(session: Session, until: datetime) -> datetime:
    """Move a simulated clock forward to ``until``; refuses on a real clock or a move backwards."""
    row = session.get(ClockRow, _ROW_ID)
    if row is None or row.mode != "simulated" or row.simulated_now is None:
        raise InvalidInput(
            "`huoke run --until` needs a simulated clock: `huoke init --clock simulated --now T`",
            code="not_simulated",
        )
    if until < row.simulated_now:
        raise InvalidInput(
            f"--until {until.isoformat()} is before the clock ({row.simulated_now.isoformat()}); "
            "the simulated clock only moves forward",
            code="clock_backwards",
        )
    row.simulated_now = until
    return until
