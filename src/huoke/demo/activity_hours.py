"""When in the day things happen, in the business zone (Asia/Shanghai, UTC+8 all year since 1991).

Each profile gives relative weights for the 24 hours; silver customers' weights are reshaped towards the
daytime (early mornings and afternoons, little after 20:00). Times are drawn as a second of the local day.
"""

from __future__ import annotations

import numpy as np

from huoke.demo.activity_draws import Bools, Choice, Ints

UTC_OFFSET_SECONDS = 8 * 3600
PROFILES: dict[str, tuple[float, ...]] = {
    "dining": (1, .5, .2, .1, .1, .3, 1, 3, 5, 3, 3, 10, 14, 8, 3, 3, 4, 9, 12, 10, 6, 4, 3, 2),
    "coffee": (.2, .1, 0, 0, 0, .2, 1, 6, 12, 10, 7, 5, 5, 6, 8, 7, 5, 3, 2, 1, 1, .5, .3, .2),
    "shopping": (.5, .3, .1, .1, .1, .2, .5, 1, 2, 4, 6, 7, 7, 6, 6, 6, 7, 8, 9, 10, 9, 7, 4, 2),
    "online": (3, 2, 1, .5, .3, .3, .5, 1, 3, 4, 5, 5, 6, 6, 5, 5, 5, 5, 6, 7, 9, 11, 11, 7),
    "commute": (.2, .1, .1, .1, .2, 1, 5, 14, 16, 6, 3, 3, 3, 3, 3, 3, 5, 12, 14, 8, 4, 3, 2, 1),
    "daytime": (0, 0, 0, 0, 0, 0, .2, 1, 4, 10, 12, 12, 8, 8, 10, 10, 9, 6, 2, 1, .5, .3, .1, 0),
    "evening": (2, 1, .3, .1, 0, 0, 0, 0, 0, .3, 1, 2, 3, 3, 3, 4, 4, 4, 6, 10, 12, 10, 7, 4),
    "anytime": (1, .5, .3, .2, .2, .5, 2, 4, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 3, 2),
    "counter": (0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 10, 10, 6, 7, 9, 9, 8, 0, 0, 0, 0, 0, 0, 0),  # 09:00–17:00
    "atm": (.5, .3, .2, .1, .1, .3, 1, 3, 5, 7, 8, 8, 8, 7, 7, 7, 7, 8, 8, 7, 5, 3, 2, 1),
    "app": (2, 1, .5, .3, .3, .6, 2, 5, 7, 6, 5, 5, 7, 6, 5, 5, 5, 5, 6, 7, 9, 10, 8, 4),
    "payroll": (0, 0, 0, 0, 0, 0, 0, 0, 2, 10, 8, 4, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0),
    "pension": (0, 0, 0, 0, 0, 0, 4, 8, 6, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "night_batch": (10, 8, 6, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
}  # fmt: skip
PROFILE_NAMES = tuple(PROFILES)
_SILVER_DAY = (
    .05, .02, .02, .02, .05, .3, .9, 1.3, 1.5, 1.5, 1.5, 1.3, 1, 1.1, 1.3, 1.3, 1.2, 1, .8, .6, .35, .15, .08, .05,
)  # fmt: skip
_SESSION_LAST_START = 23 * 3600 + 30 * 60  # sessions start by 23:30 so they end the same day


def profile(name: str) -> int:
    return PROFILE_NAMES.index(name)


class DayClock:
    """Draws a local second of the day from a profile, reshaped for silver customers."""

    def __init__(self) -> None:
        table = np.array([PROFILES[name] for name in PROFILE_NAMES], dtype=np.float64)
        silver = table * np.array(_SILVER_DAY)
        silver[silver.sum(axis=1) == 0] = table[silver.sum(axis=1) == 0]
        self._hours = Choice(np.vstack([table, silver]))
        self._profiles = len(PROFILE_NAMES)

    def seconds(self, rng: np.random.Generator, profiles: Ints, silver: Bools) -> Ints:
        """A second of the local day (0–86,399) per row, from each row's profile index."""
        hour = self._hours.draw(rng, profiles + silver.astype(np.int64) * self._profiles)
        return hour * 3600 + (rng.random(len(hour)) * 3600).astype(np.int64)

    def session_starts(self, rng: np.random.Generator, silver: Bools) -> Ints:
        """Session start seconds from the app profile, never after 23:30."""
        starts = self.seconds(rng, np.full(len(silver), profile("app"), dtype=np.int64), silver)
        return np.minimum(starts, _SESSION_LAST_START)
