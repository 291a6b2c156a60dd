"""`python -m bench.policy_bench`: decisions per second of the contact policy, against a hand-written floor.

It first builds a pool of varied, realistic inputs (not timed): customers with a mix of consents, some on
the do-not-contact list, some with open complaints, some seniors; messages of every purpose and channel,
some with links, some expiring; histories of 0–10 touches over the last ten days; `now` spread over two
days so a share of the decisions fall in quiet hours. Then it times, over the same inputs:

* huoke: `decide(profile, intent, history, now, PolicyConfig())` with the default configuration;
* floor: a minimal function that checks only marketing consent, quiet hours as (hour, minute) tuple
  comparisons and one 7-day cap, with none of the other rules, validation or reason codes.

It prints decisions/s of both, huoke's share of the floor's rate, and one JSON line.

    .venv/bin/python -m bench.policy_bench --decisions 200000
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huoke.messaging.model import CHANNELS, CONSENT_CHANNEL, Channel, Purpose
from huoke.messaging.policy import ContactProfile, Decision, MessageIntent, PolicyConfig, Touch, decide

CONSENT_CHANNELS = ("sms", "email", "wechat", "wecom", "push", "phone")
START = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Tuesday 00:00 in Shanghai
POOL_MAX = 20_000
Case = tuple[ContactProfile, MessageIntent, tuple[Touch, ...], datetime]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.policy_bench",
        description="Time the contact policy's decide() and a minimal floor over the same varied inputs.",
    )
    p.add_argument("--decisions", type=int, default=200_000, help="decisions to time (default 200,000)")
    p.add_argument("--seed", type=int, default=7)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    rng = random.Random(args.seed)
    pool = [_case(rng) for _ in range(min(args.decisions, POOL_MAX))]
    cases = [pool[i % len(pool)] for i in range(args.decisions)]
    config = PolicyConfig()
    decisions, huoke_s = _timed(lambda: [decide(p, i, h, n, config) for p, i, h, n in cases])
    _, floor_s = _timed(lambda: [_floor(p, i, h, n) for p, i, h, n in cases])
    _render(args.decisions, decisions, huoke_s, floor_s)
    return 0


def _timed(run: Callable[[], list[Any]]) -> tuple[list[Any], float]:
    began = time.perf_counter()
    result = run()
    return result, time.perf_counter() - began


def _render(n: int, decisions: Sequence[Decision], huoke_s: float, floor_s: float) -> None:
    kinds: dict[str, int] = {}
    for decision in decisions:
        kinds[decision.reason] = kinds.get(decision.reason, 0) + 1
    huoke_rate, floor_rate = n / huoke_s, n / floor_s
    print(f"decisions: {n:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))})")
    print(f"huoke decide: {huoke_s:.3f} s, {huoke_rate:,.0f} decisions/s")
    print(f"floor:        {floor_s:.3f} s, {floor_rate:,.0f} decisions/s")
    print(f"huoke / floor: {huoke_rate / floor_rate:.1%}")
    line = {"bench": "policy", "decisions_per_s": round(huoke_rate), "floor_per_s": round(floor_rate)}
    print(json.dumps({**line, "ratio": round(huoke_rate / floor_rate, 4)}))


def _floor(profile: ContactProfile, intent: MessageIntent, history: Sequence[Touch], now: datetime) -> bool:
    """The least a policy can do: consent, 21:00–08:00 in Shanghai, at most 3 marketing touches in 7 days."""
    if intent.purpose != "marketing":
        return True
    if profile.consents.get((CONSENT_CHANNEL[intent.channel] or "all", "marketing")) is not True:
        return False
    local = now.astimezone(_ZONE)
    clock = (local.hour, local.minute)
    if clock >= (21, 0) or clock < (8, 0):
        return False
    since = now - _WEEK
    return sum(1 for touch in history if touch.at > since and touch.purpose == "marketing") < 3


_ZONE = PolicyConfig().zone
_WEEK = timedelta(days=7)


def _case(rng: random.Random) -> Case:
    now = START + timedelta(seconds=rng.randrange(2 * 86_400))
    return _profile(rng), _intent(rng, now), _history(rng, now), now


def _profile(rng: random.Random) -> ContactProfile:
    consents = {(channel, "marketing"): rng.random() < 0.8 for channel in CONSENT_CHANNELS if rng.random() < 0.9}
    if rng.random() < 0.05:
        consents[("sms", "service")] = False
    complaint = START + timedelta(days=rng.randrange(-30, 30)) if rng.random() < 0.03 else None
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(60 * 365))
    return ContactProfile(consents, rng.random() < 0.02, complaint, born if rng.random() < 0.9 else None)


def _intent(rng: random.Random, now: datetime) -> MessageIntent:
    purpose: Purpose = rng.choices(("marketing", "service", "risk"), weights=(80, 15, 5))[0]
    channel: Channel = rng.choices(CHANNELS, weights=(30, 15, 20, 10, 15, 5, 3, 1, 1))[0]
    expires = now + timedelta(hours=rng.randrange(1, 48)) if rng.random() < 0.3 else None
    return MessageIntent(
        channel,
        purpose,
        f"tpl_{rng.randrange(40)}",
        priority=rng.randrange(10),
        campaign=f"c{rng.randrange(10)}",
        quiet_hours="drop" if rng.random() < 0.2 else "defer",
        has_links=rng.random() < 0.4,
        expires_at=expires,
    )


def _history(rng: random.Random, now: datetime) -> tuple[Touch, ...]:
    touches = []
    for _ in range(rng.randrange(11)):
        purpose: Purpose = rng.choices(("marketing", "service", "risk"), weights=(70, 25, 5))[0]
        at = now - timedelta(seconds=rng.randrange(10 * 86_400))
        touches.append(Touch(at, rng.choice(CHANNELS), purpose, f"tpl_{rng.randrange(40)}"))
    return tuple(sorted(touches, key=lambda touch: touch.at))


if __name__ == "__main__":
    raise SystemExit(main())
