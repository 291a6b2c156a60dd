"""How a message addresses a customer: 张先生, 欧阳女士, or 尊敬的客户 when we cannot tell."""

from __future__ import annotations

NEUTRAL = "尊敬的客户"

_TITLES = {"M": "先生", "MALE": "先生", "男": "先生", "F": "女士", "FEMALE": "女士", "女": "女士"}


def honorific(surname: str | None, gender: str | None) -> str:
    """The polite form of address for a customer with SURNAME and GENDER (M | F | U, or 男 / 女).

    The caller passes the surname itself, so compound surnames (欧阳, 司马) need nothing special. A missing
    surname or an unknown gender gives the neutral 尊敬的客户: guessing 先生 for a woman offends more than a
    neutral greeting does.
    """
    family = (surname or "").strip()
    title = _TITLES.get((gender or "").strip().upper())
    if not family or title is None:
        return NEUTRAL
    return family + title
