"""SMS rules: how carriers count a message's length, the 【…】 sender signature, and opt-out replies.

Pure functions over strings. Lengths are counted the way carriers bill: a message whose every character is in
the GSM 03.38 alphabet is sent GSM-7 encoded (160 units in one part, 153 per part when split), anything else,
Chinese included, as UCS-2 (70 UTF-16 code units in one part, 67 per part when split).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# GSM 03.38 basic character set (without the escape code 0x1B, which introduces the extension table).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each is sent as ESC + code, two units. Form feed belongs to the table too.
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
_BMP_LAST = 0xFFFF  # characters above it are two UTF-16 units (a surrogate pair)

SIGNATURE_MIN, SIGNATURE_MAX = 2, 12
# Carriers read any 【…】 in a message as a sender signature, whatever it says.
_SIGNATURE_RE = re.compile(r"【[^【】\n]+】")

OPT_OUT_REPLIES = frozenset({"R", "T", "TD", "N", "退订", "拒收"})
# Chinese opt-out words count anywhere in a reply ("我要退订", "请帮我退订，谢谢"): honouring a withdrawal the
# customer meant is the compliance duty, while withdrawing on a rare "不要退订" only costs a marketing contact.
_OPT_OUT_PHRASES = ("退订", "拒收")


@dataclass(frozen=True)
class SmsLength:
    """How a carrier bills a text: its encoding, its length in that encoding's units and the parts it needs."""

    encoding: Literal["gsm7", "ucs2"]
    units: int
    parts: int


def sms_length(text: str) -> SmsLength:
    """The encoding, units and billed parts of TEXT (an empty text needs no part).

    Parts are packed the way handsets and gateways split: a character never straddles two parts, so a
    two-unit GSM extension character or a UCS-2 surrogate pair (emoji) that does not fit in what is left of a
    part starts the next one. Such a split can need one part more than ``ceil(units / 153)``.
    """
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text):
        sizes = [2 if ch in _GSM_EXTENSION else 1 for ch in text]
        return SmsLength("gsm7", sum(sizes), _parts(sizes, GSM_SINGLE, GSM_PART))
    sizes = [2 if ord(ch) > _BMP_LAST else 1 for ch in text]
    return SmsLength("ucs2", sum(sizes), _parts(sizes, UCS2_SINGLE, UCS2_PART))


def _parts(sizes: list[int], single: int, per_part: int) -> int:
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, room = 1, per_part
    for size in sizes:
        if size > room:
            parts, room = parts + 1, per_part
        room -= size
    return parts


def has_signature(text: str) -> bool:
    """Whether TEXT contains a 【…】 sender signature (anywhere: carriers accept it at either end)."""
    return _SIGNATURE_RE.search(text) is not None


def normalise_signature(raw: str) -> str:
    """The signature without its brackets: "【活客银行】" and "活客银行" both give "活客银行".

    Raises ValueError naming the rule broken: 2–12 characters inside, no brackets or line breaks within.
    """
    inner = raw.strip()
    if inner.startswith("【") and inner.endswith("】"):
        inner = inner[1:-1].strip()
    if any(ch in "【】[]\r\n" for ch in inner):
        raise ValueError(f"signature {raw!r} must be one name, without brackets or line breaks inside")
    if not SIGNATURE_MIN <= len(inner) <= SIGNATURE_MAX:
        raise ValueError(
            f"signature {raw!r} must have {SIGNATURE_MIN}–{SIGNATURE_MAX} characters inside 【】, not {len(inner)}"
        )
    return inner


def is_opt_out_reply(text: str) -> bool:
    """Whether an inbound SMS reply withdraws marketing-SMS consent.

    The reply is NFKC-normalised (full-width "ＴＤ" becomes "TD"), stripped of surrounding spaces,
    punctuation and symbols, and compared case-insensitively with ``OPT_OUT_REPLIES`` ("td." and " R "
    count). The Chinese words 退订 and 拒收 also count inside a longer reply ("我要退订"); a Latin letter
    inside a sentence does not ("Thanks" is no "T").
    """
    core = _core_of(text)
    return core.upper() in OPT_OUT_REPLIES or any(phrase in core for phrase in _OPT_OUT_PHRASES)


def _core_of(text: str) -> str:
    normalised = unicodedata.normalize("NFKC", text)
    kept = "".join(ch for ch in normalised if not ch.isspace())
    start, end = 0, len(kept)
    while start < end and _is_decoration(kept[start]):
        start += 1
    while end > start and _is_decoration(kept[end - 1]):
        end -= 1
    return kept[start:end]


def _is_decoration(ch: str) -> bool:
    """Punctuation and symbols around a reply word ("R。", "【退订】", "TD!")."""
    return unicodedata.category(ch)[0] in "PS"
