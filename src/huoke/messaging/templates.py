"""Message templates: the template file (CONTRACTS.md §4), its static checks, and rendering in a sandbox.

Template text is Jinja2 run in an immutable sandbox with strict undefined variables: a template written by a
marketer can read the customer, holdings, offer and coupon it is given, and nothing else of the process.
Every error names the template, the field and, where it has one, the line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from huoke.messaging.honorific import honorific
from huoke.messaging.model import Channel, Purpose
from huoke.messaging.sms import has_signature, normalise_signature, sms_length
from huoke.messaging.template_sandbox import (
    VARIABLES,
    Compiled,
    Refused,
    compile_text,
    expose,
    find_column,
    line_of,
    render_bounded,
    syntax_column,
    template_line,
)
from huoke.platform.errors import HuokeError, InvalidInput

BODY_MAX, HTML_MAX, SUBJECT_MAX, TITLE_MAX, URL_MAX, DATA_VALUE_MAX = 10_000, 200_000, 200, 200, 2_000, 1_000
MAX_PARTS_CEILING = 10  # what a template may ask for, and the limit when it names none
DEFAULT_OPT_OUT = "拒收请回复R"

_NAME_RE = re.compile(r"[a-z0-9_]{1,64}")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "email": ("subject",),
    "sms": ("signature",),
    "wechat_template": ("template_id", "data"),
    "push": ("title",),
}
_ONLY_FOR: dict[str, tuple[str, ...]] = {
    "html": ("email",),
    "signature": ("sms",),
    "max_parts": ("sms",),
    "template_id": ("wechat_template",),
    "data": ("wechat_template",),
    "url": ("wechat_template",),
    "miniprogram": ("wechat_template",),
    "title": ("push", "inbox"),
    "deep_link": ("push", "inbox"),
}
_STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)
_DataKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.]{1,32}$")]
_DataText = Annotated[str, Field(max_length=DATA_VALUE_MAX)]


class MiniProgram(BaseModel):
    """The WeChat mini-program page a template message opens; ``pagepath`` is template text."""

    model_config = _STRICT
    appid: str = Field(min_length=1, max_length=64)
    pagepath: str = Field(min_length=1, max_length=URL_MAX)


class TemplateDefinition(BaseModel):
    """One template file: the contract's fields plus the channel extensions (see docs/messaging.md)."""

    model_config = _STRICT
    name: str
    channel: Channel
    purpose: Purpose
    body: str = Field(max_length=BODY_MAX)
    subject: str | None = Field(default=None, max_length=SUBJECT_MAX)
    signature: str | None = None
    max_parts: int | None = Field(default=None, ge=1, le=MAX_PARTS_CEILING)
    html: str | None = Field(default=None, max_length=HTML_MAX)
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    deep_link: str | None = Field(default=None, max_length=URL_MAX)
    template_id: str | None = Field(default=None, min_length=1, max_length=128)
    data: dict[_DataKey, _DataText] | None = None
    url: str | None = Field(default=None, max_length=URL_MAX)
    miniprogram: MiniProgram | None = None
    opt_out: str = Field(default=DEFAULT_OPT_OUT, min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=1_000)

    @field_validator("name")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _NAME_RE.fullmatch(value):
            raise ValueError(f"{value!r} must be 1–64 characters of a–z, 0–9 and _ (snake_case)")
        return value

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the body must not be empty")
        return value

    @field_validator("signature")
    @classmethod
    def _bare_signature(cls, value: str | None) -> str | None:
        return None if value is None else normalise_signature(value)

    @model_validator(mode="after")
    def _fits_channel(self) -> TemplateDefinition:
        for field in _REQUIRED.get(self.channel, ()):
            if not getattr(self, field):
                raise ValueError(f"{field}: required for channel {self.channel}")
        for field, channels in _ONLY_FOR.items():
            if field in self.model_fields_set and self.channel not in channels:
                raise ValueError(f"{field}: only for channel {' or '.join(channels)}, not {self.channel}")
        return self


def parse_template(document: Mapping[str, Any]) -> TemplateDefinition:
    """The template file DOCUMENT as a definition; InvalidInput(code="bad_template") names the JSON path."""
    if not isinstance(document, Mapping):
        raise InvalidInput(f"template: expected a JSON object, got {type(document).__name__}", code="bad_template")
    name = document.get("name")
    label = name if isinstance(name, str) and name else "(unnamed)"
    try:
        return TemplateDefinition.model_validate(dict(document))
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors(include_url=False)]
        first = problems[0]
        where = f"{first['path']}: " if first["path"] else ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        message = f"template {label!r}: {where}{first['reason']}{more}"
        raise InvalidInput(message, code="bad_template", details={"template": label, "errors": problems}) from None


def _problem(error: Any) -> dict[str, str]:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    cause = error.get("ctx", {}).get("error")
    return {"path": path, "reason": str(cause) if isinstance(cause, ValueError) else error["msg"]}


# --- checking ----------------------------------------------------------------------------------------------


def check_template(definition: TemplateDefinition) -> None:
    """Compile every text field in the sandbox and apply the static SMS rules; raise InvalidInput on the first
    problem (codes template_syntax, template_sandbox, undefined_variable, missing_signature, missing_opt_out,
    embedded_signature)."""
    for field, source, html in _sources(definition):
        unknown = _compiled(definition.name, field, source, html).unknown
        if unknown:
            variable, line = unknown[0]
            raise _undefined(definition.name, field, variable, line, source)
    if definition.channel == "sms":
        _sms_rules(definition, definition.body)


def _sources(definition: TemplateDefinition) -> list[tuple[str, str, bool]]:
    """(field, template text, is HTML) for every text field the definition has."""
    plain = ("body", "subject", "title", "deep_link", "url")
    found = [(f, getattr(definition, f), False) for f in plain if getattr(definition, f) is not None]
    if definition.html is not None:
        found.append(("html", definition.html, True))
    found += [(f"data.{key}", text, False) for key, text in (definition.data or {}).items()]
    if definition.miniprogram is not None:
        found.append(("miniprogram.pagepath", definition.miniprogram.pagepath, False))
    return found


def _compiled(name: str, field: str, source: str, html: bool) -> Compiled:
    try:
        return compile_text(source, html=html)
    except Refused as exc:
        where = _where(name, field, exc.lineno, find_column(line_of(source, exc.lineno), exc.token))
        raise InvalidInput(f"{where}: {exc}", code="template_sandbox", details=_details(name, field)) from None
    except TemplateSyntaxError as exc:
        line = exc.lineno
        column = syntax_column(source, line, exc.message or "")
        details = {**_details(name, field), "line": line, "column": column, "reason": exc.message}
        message = f"{_where(name, field, line, column)}: {exc.message}"
        raise InvalidInput(message, code="template_syntax", details=details) from None


def _sms_rules(definition: TemplateDefinition, body: str) -> None:
    name = definition.name
    if not definition.signature:
        raise InvalidInput(f"template {name!r}: an SMS needs its 【…】 signature", code="missing_signature")
    if has_signature(body):
        raise InvalidInput(
            f"template {name!r}, field body: remove the 【…】 text; the platform adds 【{definition.signature}】",
            code="embedded_signature",
        )
    if definition.purpose == "marketing" and definition.opt_out not in body:
        raise InvalidInput(
            f"template {name!r}, field body: a marketing SMS must contain the opt-out text {definition.opt_out!r}",
            code="missing_opt_out",
        )


def _details(name: str, field: str) -> dict[str, Any]:
    return {"template": name, "field": field}


def _where(name: str, field: str, line: int | None, column: int | None = None) -> str:
    at = f", line {line}" if line else ""
    return f"template {name!r}, field {field}{at}{f', column {column}' if line and column else ''}"


def _undefined(name: str, field: str, variable: str, line: int | None, source: str) -> InvalidInput:
    where = _where(name, field, line, find_column(line_of(source, line), variable))
    hint = "" if "." in variable or "[" in variable else f" (templates see {', '.join(sorted(VARIABLES))})"
    return InvalidInput(
        f"{where}: undefined variable {variable}{hint}",
        code="undefined_variable",
        details={**_details(name, field), "variable": variable, "line": line},
    )


# --- rendering ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderContext:
    """What a template sees: the customer (masked name, surname, gender, custom attributes …), holdings and the
    message's offer and coupon."""

    customer: Mapping[str, Any]
    holdings: Sequence[Mapping[str, Any]] = ()
    offer: Mapping[str, Any] | None = None
    coupon: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RenderedContent:
    """The rendered message. ``extra`` holds title, deep_link, template_id, data, url, miniprogram as present."""

    body: str
    subject: str | None
    html: str | None
    extra: dict[str, Any]


def render(
    definition: TemplateDefinition,
    context: RenderContext,
    *,
    link: Callable[[str], str] | None = None,
    forbid_links: bool = False,
) -> RenderedContent:
    """Render every field of DEFINITION for CONTEXT. ``link(url)`` in a template calls LINK (the service turns
    the URL into a tracked one) or returns the URL unchanged. An SMS comes back as "【signature】" + body and
    must fit ``max_parts``. With FORBID_LINKS a rendered URL anywhere raises InvalidInput(links_forbidden)."""
    variables = _variables(context, link)
    texts = {
        field: _render_field(definition.name, field, src, html, variables) for field, src, html in _sources(definition)
    }
    if forbid_links:
        _refuse_links(definition.name, texts.items())
    body = _finish_sms(definition, texts["body"]) if definition.channel == "sms" else texts["body"]
    subject = texts.get("subject")
    return RenderedContent(
        body=body,
        subject=None if subject is None else _one_line(subject),
        html=texts.get("html"),
        extra=_extra(definition, texts),
    )


def _variables(context: RenderContext, link: Callable[[str], str] | None) -> dict[str, Any]:
    customer = dict(context.customer)
    attributes = customer.get("attributes") or {}
    merged = {**attributes, **customer, "attributes": attributes}  # the standard fields win over custom ones
    if not merged.get("honorific"):
        merged["honorific"] = honorific(merged.get("surname"), merged.get("gender"))

    def link_(url: Any) -> str:
        if not isinstance(url, str):
            raise TypeError(f"link() expects a URL text, got {url!r}")
        return url if link is None else link(url)

    return {
        "customer": expose(merged, "customer"),
        "holdings": expose(list(context.holdings), "holdings"),
        "offer": expose(context.offer or {}, "offer"),
        "coupon": expose(context.coupon or {}, "coupon"),
        "link": link_,
    }


def _render_field(name: str, field: str, source: str, html: bool, variables: dict[str, Any]) -> str:
    template = _compiled(name, field, source, html).template
    try:
        return render_bounded(template, variables)
    except HuokeError:
        raise
    except SecurityError as exc:
        where = _where(name, field, template_line(exc))
        raise InvalidInput(f"{where}: {exc}", code="template_sandbox", details=_details(name, field)) from None
    except UndefinedError as exc:
        raise _undefined(name, field, str(exc), template_line(exc), source) from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        where = _where(name, field, template_line(exc))
        raise InvalidInput(f"{where}: {exc}", code="template_render", details=_details(name, field)) from None


def _finish_sms(definition: TemplateDefinition, rendered: str) -> str:
    body = rendered.strip()
    _sms_rules(definition, body)
    text = f"【{definition.signature}】{body}"
    length = sms_length(text)
    limit = definition.max_parts or MAX_PARTS_CEILING
    if length.parts > limit:
        raise InvalidInput(
            f"template {definition.name!r}: the SMS needs {length.parts} parts ({length.units} {length.encoding} "
            f"units with its signature), more than max_parts {limit}",
            code="sms_too_long",
            details={"template": definition.name, "parts": length.parts, "units": length.units, "limit": limit},
        )
    return text


def _refuse_links(name: str, texts: Iterable[tuple[str, str]]) -> None:
    for field, text in texts:
        found = links_in(text)
        if found:
            raise InvalidInput(
                f"template {name!r}, field {field}: links are not allowed for this customer, found {found[0]}",
                code="links_forbidden",
                details={**_details(name, field), "links": found},
            )


def _extra(definition: TemplateDefinition, texts: Mapping[str, str]) -> dict[str, Any]:
    extra: dict[str, Any] = {key: texts[key] for key in ("title", "deep_link", "url") if key in texts}
    if "title" in extra:
        extra["title"] = _one_line(extra["title"])
    if definition.template_id is not None:
        extra["template_id"] = definition.template_id
    if definition.data is not None:
        extra["data"] = {key: texts[f"data.{key}"] for key in definition.data}
    if definition.miniprogram is not None:
        extra["miniprogram"] = {"appid": definition.miniprogram.appid, "pagepath": texts["miniprogram.pagepath"]}
    return extra


def _one_line(text: str) -> str:
    """Subjects and titles are one line: a line break from a variable would break mail headers."""
    return " ".join(text.split())


_URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+", re.IGNORECASE)


def links_in(text: str) -> list[str]:
    """The http(s) URLs in TEXT, in order, without trailing sentence punctuation ("见https://x.cn/a。")."""
    found = []
    for match in _URL_RE.finditer(text):
        url = match.group().rstrip(".,;:!?")
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        if url.partition("://")[2]:
            found.append(url)
    return found
