"""App, WeChat and web behaviour (埋点): sessions of events, from opening the app to viewing products.

An app or web session starts anonymously (`app_open` or the home page, known only by the device), then the
customer logs in and every later event carries the customer number and the device, which is how ONE_ID ties
the device to the customer. Mini-program and WeChat sessions are identified from the start. Sessions rise on
payday and weekends; silver customers have fewer, shorter sessions in the daytime and look at pension and
deposit products. Prospects who are not customers browse anonymously on the web and the mini-program.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from huoke.demo.activity_calendar import DAY_KINDS
from huoke.demo.activity_columns import EVENT_TYPES, EventColumns, event_type
from huoke.demo.activity_draws import Choice, Ints, poisson_cells
from huoke.demo.activity_habits import APP, MINI_PROGRAM, WEB
from huoke.demo.activity_vocab import (
    COUPONS,
    EVENT_MIX,
    FORMS,
    LOGINS,
    OPERATING_SYSTEMS,
    PAGES,
    PROSPECT_MIX,
    QUERIES,
    REPLIES,
    SHARE_TO,
    SURVEYS,
    TARGETS,
)
from huoke.demo.activity_world import Tile, World

PAYDAY_SESSIONS = 1.8  # people open the app to see their salary arrive
_DAY_FACTOR = np.array([1.0, 1.1, 1.15, 0.9, 1.1, 0.9])  # by day kind (see activity_calendar)
SECOND_DEVICE_SHARE = 0.1
PROSPECT_SESSIONS = 0.004  # anonymous prospect sessions per customer per day
PROSPECT_POOL = 0.3  # distinct prospect devices per customer
PROSPECT_DEVICES = 1 << 40  # device serials of prospects start here; customers' are customer * 4 + k
_GAP_MEDIAN, _LAST_OFFSET = 12.0, 1_799  # seconds between events; sessions last under half an hour
_TYPE_WEIGHTS = {"wealth": 5, "fund": 4, "time_deposit": 3, "credit_card": 3, "insurance": 2, "loan": 2}
_SILVER_TYPE_WEIGHTS = {"wealth": 5, "time_deposit": 6, "insurance": 3, "fund": 1, "credit_card": 1, "loan": 0.3}
assert len(_DAY_FACTOR) == len(DAY_KINDS)  # noqa: S101 - a table shape fixed at import


def events(world: World, tile: Tile) -> EventColumns:
    """The tile's customer sessions and prospect sessions, event by event."""
    return EventColumns.concat([_customer_sessions(world, tile), _prospect_sessions(world, tile)])


def _customer_sessions(world: World, tile: Tile) -> EventColumns:
    habits, cal, rng = world.habits, world.calendar, tile.rng
    block = tile.customers[:, None]
    payday = habits.payday[block] == cal.day_of_month[tile.day_index][None, :]
    factor = _DAY_FACTOR[cal.kind[tile.day_index]][None, :] * np.where(payday, PAYDAY_SESSIONS, 1.0)
    cells = poisson_cells(rng, habits.app_rate[block] * tile.level * factor)
    customer = tile.customers[cells.row]
    channel = habits.channel[customer]
    logs_in = (channel == APP) | (channel == WEB)
    sizes = np.where(logs_in, 2, 1) + rng.poisson(habits.extra_events[customer])
    session = np.repeat(np.arange(len(customer)), sizes)
    position = np.arange(len(session)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    who = customer[session]
    group = habits.group[who]
    kind = EVENT_MIX.draw(rng, group)
    opening = (position == 0) & logs_in[session]
    kind[opening] = np.where(channel[session][opening] == APP, event_type("app_open"), event_type("page_view"))
    kind[(position == 0) & ~logs_in[session]] = event_type("page_view")
    kind[(position == 1) & logs_in[session]] = event_type("login")
    second_device = rng.random(len(customer)) < SECOND_DEVICE_SHARE
    device = np.where(channel == WEB, customer * 4 + 2, customer * 4 + second_device)
    starts = world.clock.session_starts(rng, habits.silver[customer])
    a, b = _values(world, rng, kind, who, group, position)
    return EventColumns(
        customer=np.where(opening, -1, who),
        device=np.where(logs_in, device, -1)[session],
        day=tile.days[cells.col][session],
        second=starts[session] + _offsets(rng, session, kind, b),
        type=kind,
        channel=channel[session],
        a=a,
        b=b,
    )


def _prospect_sessions(world: World, tile: Tile) -> EventColumns:
    rng = tile.rng
    sessions = int(rng.poisson(PROSPECT_SESSIONS * len(tile.customers) * len(tile.days)))
    sizes = 1 + rng.poisson(2.0, sessions)
    session = np.repeat(np.arange(sessions), sizes)
    position = np.arange(len(session)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    pool = max(1, int(world.book.size * PROSPECT_POOL))
    device = PROSPECT_DEVICES + (rng.random(sessions) * pool).astype(np.int64)
    kind = PROSPECT_MIX.draw_one_row(rng, len(session))
    kind[position == 0] = event_type("page_view")
    group = np.ones(len(session), dtype=np.int64)
    a, b = _values(world, rng, kind, np.full(len(session), -1), group, position)
    starts = world.clock.session_starts(rng, np.zeros(sessions, dtype=bool))
    return EventColumns(
        customer=np.full(len(session), -1, dtype=np.int64),
        device=device[session],
        day=tile.days[(rng.random(sessions) * len(tile.days)).astype(np.int64)][session],
        second=starts[session] + _offsets(rng, session, kind, b),
        type=kind,
        channel=np.where(rng.random(sessions) < 0.5, WEB, MINI_PROGRAM)[session],
        a=a,
        b=b,
    )


def _offsets(rng: np.random.Generator, session: Ints, kind: Ints, b: Ints) -> Ints:
    """Seconds from the session start: log-normal gaps, plus the dwell time after each product view."""
    gaps = np.maximum(np.rint(_GAP_MEDIAN * rng.lognormal(0.0, 0.8, len(session))), 1).astype(np.int64)
    gaps[1:] += np.where(kind == event_type("product_view"), b, 0)[:-1]
    elapsed = np.cumsum(gaps)
    first = np.flatnonzero(np.r_[True, session[1:] != session[:-1]])
    sizes = np.diff(np.r_[first, len(session)])
    since_start = elapsed - np.repeat(elapsed[first], sizes)  # the first event of a session is at its start
    return np.minimum(since_start, _LAST_OFFSET)


def _values(  # noqa: PLR0917 - the columns one event row is made of
    world: World, rng: np.random.Generator, kind: Ints, who: Ints, group: Ints, position: Ints
) -> tuple[Ints, Ints]:
    """The two property values of each event (their meaning depends on the type; see activity_properties)."""
    a, b = np.zeros(len(kind), dtype=np.int64), np.zeros(len(kind), dtype=np.int64)
    order = np.argsort(kind, kind="stable")
    bounds = np.searchsorted(kind[order], np.arange(len(EVENT_TYPES) + 1))
    for index, name in enumerate(EVENT_TYPES):
        rows = order[bounds[index] : bounds[index + 1]]
        if len(rows):
            a[rows], b[rows] = _VALUES[name](world, rng, who[rows], group[rows], position[rows])
    return a, b


def _pick(rng: np.random.Generator, count: int, n: int) -> Ints:
    return (rng.random(n) * count).astype(np.int64)


def _viewed(world: World, rng: np.random.Generator, who: Ints, group: Ints, _position: Ints) -> tuple[Ints, Ints]:
    product = _products(world, rng, who, group)
    dwell = np.minimum(np.rint(rng.lognormal(np.log(22.0), 0.9, len(who))), 900).astype(np.int64)
    return product, dwell + np.where(world.book.product_risk[product] > 0, 13, 0)  # wealth pages hold longer


ValueDraw = Callable[[World, np.random.Generator, Ints, Ints, Ints], tuple[Ints, Ints]]
_VALUES: dict[str, ValueDraw] = {
    "app_open": lambda _w, rng, who, _g, _p: (_pick(rng, 3, len(who)), OPERATING_SYSTEMS.draw_one_row(rng, len(who))),
    "login": lambda _w, rng, who, group, _p: (LOGINS.draw(rng, group), np.zeros(len(who), dtype=np.int64)),
    "page_view": lambda _w, rng, who, _g, position: (
        np.where(position == 0, 0, _pick(rng, len(PAGES), len(who))),
        np.zeros(len(who), dtype=np.int64),
    ),
    "product_view": _viewed,
    "search": lambda _w, rng, who, _g, _p: (_pick(rng, len(QUERIES), len(who)), rng.poisson(8.0, len(who))),
    "click": lambda _w, rng, who, _g, _p: (_pick(rng, len(TARGETS), len(who)), np.zeros(len(who), dtype=np.int64)),
    "form_submit": lambda _w, rng, who, _g, _p: (_pick(rng, len(FORMS), len(who)), np.zeros(len(who), dtype=np.int64)),
    "share": lambda w, rng, who, group, _p: (_products(w, rng, who, group), _pick(rng, len(SHARE_TO), len(who))),
    "coupon_redeemed": lambda _w, rng, who, _g, _p: (
        _pick(rng, len(COUPONS), len(who)),
        np.rint(rng.lognormal(np.log(60.0), 0.6, len(who))).astype(np.int64),
    ),
    "survey_answered": lambda _w, rng, who, _g, _p: (
        _pick(rng, len(SURVEYS), len(who)),
        rng.binomial(10, 0.78, len(who)),
    ),
    "message_replied": lambda _w, rng, who, _g, _p: (
        _pick(rng, 1_000_000, len(who)),
        _pick(rng, len(REPLIES), len(who)),
    ),
}


def _products(world: World, rng: np.random.Generator, who: Ints, group: Ints) -> Ints:
    """Products viewed: often the wealth product the customer holds, else by the group's interests."""
    book = world.book
    types = book.product_types
    pension = np.array(["PENSION" in c or "ANNUITY" in c for c in book.product_codes.to_pylist()])
    young = np.array([_TYPE_WEIGHTS.get(t, 0.2) for t in types])
    silver = np.array([_SILVER_TYPE_WEIGHTS.get(t, 0.2) for t in types]) * np.where(pension, 3.0, 1.0)
    product = Choice(np.vstack([young, young, silver])).draw(rng, group)
    known = who >= 0
    held = np.zeros(len(who), dtype=bool)
    held[known] = book.wealth.held[who[known]] & (rng.random(int(known.sum())) < 0.35)
    product[held] = book.wealth.product[who[held]]
    return product
