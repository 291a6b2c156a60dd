"""Template files (CONTRACTS.md §4): parsing, static checks, the sandbox, and rendering per channel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huoke.messaging.templates import (
    RenderContext,
    TemplateDefinition,
    check_template,
    links_in,
    parse_template,
    render,
)
from huoke.platform.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPT_OUT = "拒收请回复R"
ZHANG = RenderContext(customer={"surname": "张", "gender": "M", "name": "张*", "city": "杭州", "customer_no": "C001"})


def doc(**fields: Any) -> dict[str, Any]:
    """An inbox service template unless FIELDS say otherwise; a None value drops the field."""
    base: dict[str, Any] = {"name": "t1", "channel": "inbox", "purpose": "service", "body": "您好"}
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


def sms_doc(body: str, **fields: Any) -> dict[str, Any]:
    return doc(**{"channel": "sms", "purpose": "marketing", "signature": "【活客银行】", "body": body, **fields})


def email_doc(**fields: Any) -> dict[str, Any]:
    return doc(**{"channel": "email", "subject": "账单提醒", **fields})


def template(**fields: Any) -> TemplateDefinition:
    return parse_template(doc(**fields))


def refused(code: str, action: Any, *args: Any, **kwargs: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        action(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


# --- parsing -----------------------------------------------------------------------------------------------


def test_a_contract_file_parses() -> None:
    definition = parse_template(
        {"name": "coffee_welcome", "channel": "sms", "purpose": "marketing", "body": f"您好 {OPT_OUT}",
         "signature": "【活客银行】", "max_parts": 2}
    )  # fmt: skip
    assert (definition.name, definition.channel, definition.purpose) == ("coffee_welcome", "sms", "marketing")
    assert definition.signature == "活客银行"  # stored without brackets
    assert definition.max_parts == 2
    assert definition.opt_out == OPT_OUT


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"body": "x" * 10_001}, "body"),
        ({"channel": "email", "subject": "x" * 201}, "subject"),
        ({"channel": "email", "subject": "s", "html": "x" * 200_001}, "html"),
    ],
)
def test_oversized_fields_are_refused_at_parse(fields: dict[str, Any], path: str) -> None:
    error = refused("bad_template", parse_template, doc(**fields))
    assert f"template 't1': {path}: " in error.message
    assert error.details["errors"][0]["path"] == path


def test_fields_at_their_limits_are_accepted() -> None:
    definition = parse_template(email_doc(body="x" * 10_000, subject="s" * 200, html="<p>x</p>" * 25_000))
    assert len(definition.body) == 10_000


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": "email"}, "subject"),
        ({"channel": "sms"}, "signature"),
        ({"channel": "wechat_template", "data": {"first": "您好"}}, "template_id"),
        ({"channel": "wechat_template", "template_id": "TPL-1"}, "data"),
        ({"channel": "wechat_template", "template_id": "TPL-1", "data": {}}, "data"),
        ({"channel": "push"}, "title"),
    ],
)
def test_channel_required_fields(fields: dict[str, Any], field: str) -> None:
    error = refused("bad_template", parse_template, doc(**fields))
    assert f"{field}: required for channel {fields['channel']}" in error.message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Coffee-Welcome"}, "name: 'Coffee-Welcome' must be 1–64 characters"),
        ({"name": "x" * 65}, "must be 1–64 characters"),
        ({"name": ""}, "must be 1–64 characters"),
        ({"channel": "fax"}, "channel: Input should be"),
        ({"purpose": "spam"}, "purpose: Input should be"),
        ({"body": "   "}, "body: the body must not be empty"),
        ({"body": None}, "body: Field required"),
        ({"subjet": "typo"}, "subjet: Extra inputs are not permitted"),
        ({"html": "<p>x</p>"}, "html: only for channel email, not inbox"),
        ({"max_parts": 2}, "max_parts: only for channel sms"),
        ({"channel": "sms", "signature": "活客银行", "max_parts": 0}, "max_parts: Input should be greater than"),
        ({"channel": "sms", "signature": "活客银行", "max_parts": True}, "max_parts: Input should be a valid integer"),
        ({"channel": "sms", "signature": "【行】"}, "signature: "),
        ({"channel": "wechat_template", "template_id": "T", "data": {"first": 1}}, "data.first: Input should be"),
        (
            {"channel": "wechat_template", "template_id": "T", "data": {"a": "x"}, "miniprogram": {"appid": "wx1"}},
            "miniprogram.pagepath: Field required",
        ),
    ],
)
def test_bad_files_name_the_field_and_reason(fields: dict[str, Any], message: str) -> None:
    error = refused("bad_template", parse_template, doc(**fields))
    assert message in error.message
    assert error.message.startswith("template ")


@pytest.mark.parametrize(
    "document",
    [
        sms_doc(f"{{{{ customer.honorific }}}} {OPT_OUT}", max_parts=2, description="welcome"),
        email_doc(html="<p>{{ customer.city }}</p>"),
        doc(channel="push", title="t", deep_link="app://x"),
        doc(
            channel="wechat_template", template_id="T", data={"first": "x"}, miniprogram={"appid": "a", "pagepath": "p"}
        ),
    ],
    ids=["sms", "email", "push", "wechat"],
)
def test_a_stored_definition_parses_back_to_itself(document: dict[str, Any]) -> None:
    definition = parse_template(document)
    assert parse_template(definition.model_dump(mode="json", exclude_none=True)) == definition


def test_several_problems_are_all_listed_in_details() -> None:
    error = refused("bad_template", parse_template, doc(channel="fax", purpose="spam"))
    assert {e["path"] for e in error.details["errors"]} == {"channel", "purpose"}
    assert "(and 1 more)" in error.message


def test_a_document_that_is_not_an_object_is_refused() -> None:
    refused("bad_template", parse_template, ["not", "an", "object"])


# --- static checks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        ("您好 {{ customer.surname }", 1, len("您好 {{ customer.surname }")),
        ("第一行\n{{ a b }}", 2, 6),
        ("{{ x !}}", 1, 6),
        ("a\nb {{ x ! }}", 2, 8),
        ("ok\n\n{% frobnicate %}", 3, 4),
        ("{% if customer.vip %}贵宾", 1, 1),
        ("{{ customer.surname | shout }}", 1, len("{{ customer.surname | ") + 1),
        ("hi {{ customer.city + }} there", 1, len("hi {{ customer.city + ") + 1),
    ],
)
def test_syntax_errors_name_line_and_column(body: str, line: int, column: int) -> None:
    error = refused("template_syntax", check_template, template(body=body))
    assert (error.details["line"], error.details["column"]) == (line, column)
    assert f"template 't1', field body, line {line}, column {column}: " in error.message


def test_syntax_errors_in_other_fields_name_that_field() -> None:
    definition = parse_template(email_doc(html="<p>{{ customer.surname </p>"))
    error = refused("template_syntax", check_template, definition)
    assert error.details["field"] == "html"
    definition = parse_template(email_doc(subject="{% if %}"))
    assert refused("template_syntax", check_template, definition).details["field"] == "subject"


def test_syntax_errors_are_also_refused_at_render() -> None:
    refused("template_syntax", render, template(body="{{ customer.surname }"), ZHANG)


def test_an_unknown_top_level_variable_is_caught_before_sending() -> None:
    error = refused("undefined_variable", check_template, template(body="您好\n{{ custmer.surname }}"))
    assert "template 't1', field body, line 2" in error.message
    assert error.details["variable"] == "custmer"


def test_a_good_template_passes_the_check() -> None:
    body = (
        "{{ customer.honorific }}：{% for h in holdings %}{{ h.product_code }} {{ h.balance_fen | yuan }}{% endfor %}"
        "{% if offer %}{{ offer.title }}{% endif %}{{ link('https://huoke.dev/o') }} {{ range(3) | list | length }}"
    )
    check_template(template(body=body))


def test_marketing_sms_needs_the_opt_out_text() -> None:
    error = refused("missing_opt_out", check_template, parse_template(sms_doc("周末咖啡买一送一")))
    assert OPT_OUT in error.message
    check_template(parse_template(sms_doc(f"周末咖啡买一送一，{OPT_OUT}")))


def test_a_custom_opt_out_text_is_the_one_required() -> None:
    check_template(parse_template(sms_doc("周末咖啡买一送一，回TD退订", opt_out="回TD退订")))
    refused("missing_opt_out", check_template, parse_template(sms_doc(f"买一送一 {OPT_OUT}", opt_out="回TD退订")))


def test_service_sms_needs_no_opt_out() -> None:
    check_template(parse_template(sms_doc("您尾号1234的卡消费99.00元", purpose="service")))


def test_sms_body_must_not_carry_its_own_signature() -> None:
    error = refused("embedded_signature", check_template, parse_template(sms_doc(f"【活客银行】您好 {OPT_OUT}")))
    assert "【活客银行】" in error.message


def test_sms_without_signature_is_refused_even_when_built_directly() -> None:
    definition = parse_template(sms_doc(f"您好 {OPT_OUT}")).model_copy(update={"signature": None})
    refused("missing_signature", check_template, definition)


# --- the sandbox -------------------------------------------------------------------------------------------

CLASSIC_ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ customer._secret }}",
    "{{ customer['_secret'] }}",
    "{{ '{0.__class__}'.format(customer) }}",
    "{{ '{0._secret}'.format_map(customer) }}",
    "{{ customer | attr('__class__') }}",
    "{{ holdings | map(attribute='__class__') | list }}",
    "{{ link.__globals__ }}",
    "{% include 'secrets.txt' %}",
    "{% import 'macros.txt' as m %}",
]
SECRET_CUSTOMER = RenderContext(customer={"surname": "张", "_secret": "LEAKED"}, holdings=({"balance": 1},))


@pytest.mark.parametrize("body", CLASSIC_ESCAPES)
def test_classic_escapes_are_refused_at_check(body: str) -> None:
    error = refused("template_sandbox", check_template, template(body=f"您好\n{body}"))
    assert "template 't1', field body, line 2" in error.message


@pytest.mark.parametrize("body", CLASSIC_ESCAPES)
def test_classic_escapes_are_refused_at_render(body: str) -> None:
    refused("template_sandbox", render, template(body=body), SECRET_CUSTOMER)


@pytest.mark.parametrize(
    "body",
    [
        "{% set n = '__cla' ~ 'ss__' %}{{ customer | attr(n) }}",
        "{% set k = '_sec' ~ 'ret' %}{{ customer[k] }}",
        "{% set f = 'for' ~ 'mat' %}{{ (('{0.' ~ '_secret}') | attr(f))(customer) }}",
        "{% set a = '_sec' ~ 'ret' %}{{ [customer] | map(attribute=a) | list }}",
        "{{ 'ab' * 2000000 }}",
        "{{ 2 ** 100000 }}",
    ],
)
def test_escapes_built_at_run_time_are_refused_at_render(body: str) -> None:
    check_template(template(body=body))  # nothing to see statically
    error = refused("template_sandbox", render, template(body=body), SECRET_CUSTOMER)
    assert "LEAKED" not in error.message


def test_customer_data_is_never_evaluated_as_template_text() -> None:
    context = RenderContext(customer={"nickname": "{{ 7 * 7 }}{{ ''.__class__ }}"})
    assert render(template(body="{{ customer.nickname }}"), context).body == "{{ 7 * 7 }}{{ ''.__class__ }}"


def test_templates_cannot_change_the_values_they_see() -> None:
    # Mappings and lists reach templates as read-only copies without methods; other mutable values are
    # guarded by the immutable sandbox.
    context = RenderContext(customer={"tags": ["vip"], "codes": {"a"}, "attributes": {"x": 1}})
    refused("undefined_variable", render, template(body="{{ customer.tags.append('hacked') }}"), context)
    refused("undefined_variable", render, template(body="{{ customer.attributes.update({'x': 2}) }}"), context)
    refused("template_sandbox", render, template(body="{{ customer.codes.add('hacked') }}"), context)
    assert context.customer == {"tags": ["vip"], "codes": {"a"}, "attributes": {"x": 1}}


# --- rendering ---------------------------------------------------------------------------------------------


def test_undefined_variable_at_render_names_template_and_variable() -> None:
    error = refused("undefined_variable", render, template(body="您好\n{{ customer.vip_level }}"), ZHANG)
    assert "template 't1', field body, line 2" in error.message
    assert "customer.vip_level" in error.message
    assert error.details["variable"] == "customer.vip_level"


def test_undefined_nested_values_name_their_path() -> None:
    context = RenderContext(customer={}, holdings=({"product_code": "W1"},))
    error = refused("undefined_variable", render, template(body="{{ holdings[0].balance }}"), context)
    assert error.details["variable"] == "holdings[0].balance"
    error = refused("undefined_variable", render, template(body="{{ holdings[3].balance }}"), context)
    assert error.details["variable"] == "holdings[3]"


def test_missing_offer_is_empty_and_reading_from_it_is_an_error() -> None:
    body = "{% if offer %}优惠：{{ offer.title }}{% else %}暂无优惠{% endif %}"
    assert render(template(body=body), ZHANG).body == "暂无优惠"
    offered = RenderContext(customer={}, offer={"title": "理财加息券"})
    assert render(template(body=body), offered).body == "优惠：理财加息券"
    error = refused("undefined_variable", render, template(body="{{ coupon.code }}"), ZHANG)
    assert error.details["variable"] == "coupon.code"


def test_custom_attributes_are_reachable_both_ways_and_standard_fields_win() -> None:
    context = RenderContext(customer={"city": "杭州", "attributes": {"city": "上海", "vip_level": "金卡"}})
    body = "{{ customer.city }}/{{ customer.attributes.city }}/{{ customer.vip_level }}/"
    body += "{{ customer.attributes.vip_level }}"
    assert render(template(body=body), context).body == "杭州/上海/金卡/金卡"


def test_holdings_offer_and_coupon_are_in_scope() -> None:
    context = RenderContext(
        customer={"surname": "李", "gender": "F"},
        holdings=({"product_code": "D01", "balance_fen": 1_234_500}, {"product_code": "W07", "balance_fen": 50}),
        coupon={"title": "咖啡券", "expires_on": date(2026, 11, 24)},
    )
    body = (
        "{{ customer.honorific }}：{% for h in holdings %}{{ h.product_code }}={{ h.balance_fen | yuan }};{% endfor %}"
        "{{ coupon.title }}{{ coupon.expires_on | date }}到期"
    )
    assert render(template(body=body), context).body == "李女士：D01=12,345.00;W07=0.50;咖啡券2026年11月24日到期"


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0.00"), (5, "0.05"), (99, "0.99"), (123_450, "1,234.50"), (100_000_000, "1,000,000.00"), (-250, "-2.50")],
)
def test_yuan_filter(fen: int, text: str) -> None:
    context = RenderContext(customer={"amount": fen})
    assert render(template(body="{{ customer.amount | yuan }}"), context).body == text


@pytest.mark.parametrize("amount", ["12.5", 12.5, True, None])
def test_yuan_filter_refuses_anything_but_fen(amount: Any) -> None:
    context = RenderContext(customer={"amount": amount})
    error = refused("template_render", render, template(body="{{ customer.amount | yuan }}"), context)
    assert "yuan expects an amount in fen" in error.message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2026, 11, 24), "2026年11月24日"),
        (date(2026, 3, 5), "2026年3月5日"),
        (datetime(2026, 11, 24, 23, 30, tzinfo=SHANGHAI), "2026年11月24日"),
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "2026年1月1日"),
        ("2026-11-24", "2026年11月24日"),
        ("2026-11-24T09:00:00+08:00", "2026年11月24日"),
    ],
)
def test_date_filter(value: Any, text: str) -> None:
    context = RenderContext(customer={"on": value})
    assert render(template(body="{{ customer.on | date }}"), context).body == text


def test_date_filter_refuses_what_is_not_a_date() -> None:
    context = RenderContext(customer={"on": "next Tuesday"})
    refused("template_render", render, template(body="{{ customer.on | date }}"), context)


def test_link_calls_the_callback_with_the_url_and_uses_its_result() -> None:
    seen: list[str] = []

    def track(url: str) -> str:
        seen.append(url)
        return f"https://huoke.example/t/code{len(seen)}"

    body = "开户 {{ link('https://bank.example/open?src=sms') }} 理财 {{ link('https://bank.example/wealth') }}"
    rendered = render(template(body=body), ZHANG, link=track)
    assert seen == ["https://bank.example/open?src=sms", "https://bank.example/wealth"]
    assert rendered.body == "开户 https://huoke.example/t/code1 理财 https://huoke.example/t/code2"


def test_link_without_a_callback_returns_the_url_unchanged() -> None:
    assert render(template(body="{{ link('https://bank.example/a') }}"), ZHANG).body == "https://bank.example/a"


def test_errors_raised_by_the_link_callback_reach_the_caller() -> None:
    def strict(url: str) -> str:
        raise InvalidInput(f"link({url!r}) is not an http(s) URL", code="bad_link")

    refused("bad_link", render, template(body="{{ link('javascript:alert(1)') }}"), ZHANG, link=strict)


def test_email_html_is_autoescaped_and_the_text_part_is_not() -> None:
    context = RenderContext(customer={"nickname": "<script>x</script> & co"})
    html = "<p>{{ customer.nickname }}</p><a href=\"{{ link('https://b.example/?a=1&b=2') }}\">go</a>"
    definition = parse_template(email_doc(body="{{ customer.nickname }}", html=html))
    rendered = render(definition, context)
    assert rendered.html == (
        '<p>&lt;script&gt;x&lt;/script&gt; &amp; co</p><a href="https://b.example/?a=1&amp;b=2">go</a>'
    )
    assert rendered.body == "<script>x</script> & co"
    assert rendered.subject == "账单提醒"


def test_sms_text_is_not_escaped_and_carries_the_signature() -> None:
    context = RenderContext(customer={"surname": "张", "gender": "M", "shop": "A&B <咖啡>"})
    rendered = render(
        parse_template(sms_doc(f"{{{{ customer.honorific }}}}，{{{{ customer.shop }}}}邀您品鉴 {OPT_OUT}")), context
    )
    assert rendered.body == f"【活客银行】张先生，A&B <咖啡>邀您品鉴 {OPT_OUT}"
    assert (rendered.subject, rendered.html) == (None, None)


def test_sms_body_is_trimmed_before_the_signature_is_added() -> None:
    rendered = render(parse_template(sms_doc(f"\n  您好 {OPT_OUT}\n")), ZHANG)
    assert rendered.body == f"【活客银行】您好 {OPT_OUT}"


def test_a_signature_smuggled_in_by_a_variable_is_refused() -> None:
    context = RenderContext(customer={"shop": "【别家银行】"})
    refused("embedded_signature", render, parse_template(sms_doc(f"{{{{ customer.shop }}}} {OPT_OUT}")), context)


def test_an_opt_out_hidden_in_a_false_branch_is_caught_at_render() -> None:
    body = f"{{% if customer.vip %}}{OPT_OUT}{{% endif %}}周末特惠"
    definition = parse_template(sms_doc(body))
    check_template(definition)  # the text is there …
    refused("missing_opt_out", render, definition, RenderContext(customer={"vip": False}))  # … but not sent


def test_sms_over_max_parts_is_refused() -> None:
    body = "好" * (70 - len("【活客银行】") - len(OPT_OUT)) + OPT_OUT  # exactly 70 with the signature
    assert render(parse_template(sms_doc(body, max_parts=1)), ZHANG).body.startswith("【活客银行】")
    error = refused("sms_too_long", render, parse_template(sms_doc("好" + body, max_parts=1)), ZHANG)
    assert error.details["parts"] == 2
    assert "max_parts 1" in error.message


def test_sms_without_max_parts_has_a_platform_ceiling() -> None:
    context = RenderContext(customer={"story": "长" * 700})
    refused("sms_too_long", render, parse_template(sms_doc(f"{{{{ customer.story }}}}{OPT_OUT}")), context)


def test_forbid_links_refuses_any_url() -> None:
    with_link = parse_template(sms_doc(f"详情见 https://bank.example/a {OPT_OUT}"))
    tracked = parse_template(sms_doc(f"详情见 {{{{ link('https://bank.example/a') }}}} {OPT_OUT}"))
    plain = parse_template(sms_doc(f"详情请咨询网点 {OPT_OUT}"))
    error = refused("links_forbidden", render, with_link, ZHANG, forbid_links=True)
    assert "https://bank.example/a" in error.message
    refused("links_forbidden", render, tracked, ZHANG, forbid_links=True, link=lambda url: "https://t.example/t/x")
    assert render(plain, ZHANG, forbid_links=True).body.endswith(OPT_OUT)
    assert "https://bank.example/a" in render(with_link, ZHANG).body


def test_wechat_template_extras_are_rendered() -> None:
    definition = parse_template(
        doc(
            channel="wechat_template",
            template_id="TPL-COUPON",
            body="{{ customer.honorific }}，您有一张新券",
            data={"first": "{{ customer.honorific }}您好", "keyword1": "{{ coupon.title }}"},
            url="{{ link('https://bank.example/c') }}",
            miniprogram={"appid": "wx123", "pagepath": "pages/coupon?no={{ customer.customer_no }}"},
        )
    )
    context = RenderContext(customer={"surname": "张", "gender": "M", "customer_no": "C9"}, coupon={"title": "咖啡券"})
    extra = render(definition, context, link=lambda u: "https://t.example/t/q").extra
    assert extra == {
        "template_id": "TPL-COUPON",
        "data": {"first": "张先生您好", "keyword1": "咖啡券"},
        "url": "https://t.example/t/q",
        "miniprogram": {"appid": "wx123", "pagepath": "pages/coupon?no=C9"},
    }


def test_push_title_and_deep_link_and_one_line_subjects() -> None:
    push = parse_template(
        doc(
            channel="push",
            title="{{ customer.honorific }}\n新消息",
            deep_link="app://coupon/{{ customer.customer_no }}",
        )
    )
    assert render(push, ZHANG).extra == {"title": "张先生 新消息", "deep_link": "app://coupon/C001"}
    email = parse_template(email_doc(subject="{{ customer.city }}\r\nBcc: x@evil.example"))
    assert render(email, ZHANG).subject == "杭州 Bcc: x@evil.example"


# --- links_in ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("没有链接", []),
        ("详见https://huoke.dev/a?b=1，拒收请回复R", ["https://huoke.dev/a?b=1"]),
        ("visit http://x.example/a. Thanks", ["http://x.example/a"]),
        ("(see https://x.example/path)", ["https://x.example/path"]),
        ('<a href="https://x.example/a?x=1&amp;y=2">go</a>', ["https://x.example/a?x=1&amp;y=2"]),
        ("HTTPS://X.EXAMPLE/A 与 https://y.example", ["HTTPS://X.EXAMPLE/A", "https://y.example"]),
        ("ftp://x.example/a https://", []),
    ],
)
def test_links_in(text: str, links: list[str]) -> None:
    assert links_in(text) == links
