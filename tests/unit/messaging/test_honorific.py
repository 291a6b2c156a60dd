"""How messages address customers: 张先生, 欧阳女士, or the neutral 尊敬的客户."""

from __future__ import annotations

from typing import Any

import pytest

from huoke.messaging.honorific import NEUTRAL, honorific
from huoke.messaging.templates import RenderContext, parse_template, render


@pytest.mark.parametrize(
    ("surname", "gender", "expected"),
    [
        ("张", "M", "张先生"),
        ("张", "F", "张女士"),
        ("欧阳", "F", "欧阳女士"),
        ("司马", "M", "司马先生"),
        ("李", "m", "李先生"),
        ("李", "男", "李先生"),
        ("王", "女", "王女士"),
        (" 王 ", " F ", "王女士"),
        ("张", "U", NEUTRAL),
        ("张", None, NEUTRAL),
        ("张", "", NEUTRAL),
        (None, "M", NEUTRAL),
        ("", "F", NEUTRAL),
        ("  ", "F", NEUTRAL),
    ],
)
def test_honorific(surname: str | None, gender: str | None, expected: str) -> None:
    assert honorific(surname, gender) == expected


def test_neutral_form_is_the_polite_generic_greeting() -> None:
    assert NEUTRAL == "尊敬的客户"


def rendered(body: str, customer: dict[str, Any]) -> str:
    definition = parse_template({"name": "greeting", "channel": "inbox", "purpose": "service", "body": body})
    return render(definition, RenderContext(customer=customer)).body


def test_render_fills_customer_honorific_from_surname_and_gender() -> None:
    assert rendered("{{ customer.honorific }}，您好", {"surname": "欧阳", "gender": "F"}) == "欧阳女士，您好"
    assert rendered("{{ customer.honorific }}，您好", {"surname": "张"}) == "尊敬的客户，您好"
    assert rendered("{{ customer.honorific }}，您好", {}) == "尊敬的客户，您好"


def test_an_honorific_the_caller_passes_wins() -> None:
    customer = {"surname": "张", "gender": "M", "honorific": "张总"}
    assert rendered("{{ customer.honorific }}", customer) == "张总"


def test_honorific_is_also_a_filter() -> None:
    customer = {"surname": "欧阳", "gender": "M"}
    assert rendered("{{ customer.surname | honorific(customer.gender) }}", customer) == "欧阳先生"
    assert rendered("{{ '林' | honorific('F') }}", {}) == "林女士"
