"""SMS length as carriers bill it, the 【…】 signature, and opt-out replies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.messaging.sms import (
    OPT_OUT_REPLIES,
    SmsLength,
    has_signature,
    is_opt_out_reply,
    normalise_signature,
    sms_length,
)

CJK = "中"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsLength("gsm7", 0, 0)),
        ("a" * 160, SmsLength("gsm7", 160, 1)),
        ("a" * 161, SmsLength("gsm7", 161, 2)),
        ("a" * 306, SmsLength("gsm7", 306, 2)),
        ("a" * 307, SmsLength("gsm7", 307, 3)),
        (CJK * 70, SmsLength("ucs2", 70, 1)),
        (CJK * 71, SmsLength("ucs2", 71, 2)),
        (CJK * 134, SmsLength("ucs2", 134, 2)),
        (CJK * 135, SmsLength("ucs2", 135, 3)),
    ],
)
def test_length_table(text: str, expected: SmsLength) -> None:
    assert sms_length(text) == expected


def test_extension_characters_count_two_units_and_stay_gsm7() -> None:
    assert sms_length("{" * 80) == SmsLength("gsm7", 160, 1)
    assert sms_length("{" * 81) == SmsLength("gsm7", 162, 2)
    assert sms_length("€[]~|^\\}") == SmsLength("gsm7", 16, 1)


def test_an_extension_character_is_never_split_across_parts() -> None:
    # 306 units would fit in two parts of 153, but the brace at unit 153 cannot straddle the boundary.
    text = "a" * 152 + "{" + "a" * 152
    assert sms_length(text) == SmsLength("gsm7", 306, 3)


def test_one_character_outside_gsm_makes_the_whole_text_ucs2() -> None:
    assert sms_length("a" * 100 + "`").encoding == "ucs2"
    assert sms_length("a" * 100 + "`") == SmsLength("ucs2", 101, 2)
    assert sms_length("Hello，").encoding == "ucs2"  # full-width comma
    assert sms_length("Ça coûte 5€").encoding == "ucs2"  # û is not in GSM 03.38


def test_emoji_count_two_ucs2_units() -> None:
    assert sms_length("😀") == SmsLength("ucs2", 2, 1)
    assert sms_length("😀" * 35) == SmsLength("ucs2", 70, 1)
    assert sms_length("😀" * 36) == SmsLength("ucs2", 72, 2)


def test_a_typical_bank_sms_with_signature_and_opt_out() -> None:
    text = "【活客银行】张先生您好，您的咖啡券将于11月24日到期，请尽快使用。拒收请回复R"
    length = sms_length(text)
    assert (length.encoding, length.units, length.parts) == ("ucs2", len(text), 1)


ascii_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=500)
cjk_text = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=300)
mixed_text = st.text(alphabet=st.sampled_from("ab{€中😀 "), max_size=300)


@pytest.mark.parametrize("strategy", [ascii_text, cjk_text, mixed_text], ids=["ascii", "cjk", "mixed"])
def test_parts_never_decrease_as_text_grows(strategy: st.SearchStrategy[str]) -> None:
    @given(strategy, st.integers(min_value=0, max_value=500))
    def check(text: str, cut: int) -> None:
        shorter = text[: min(cut, len(text))]
        assert sms_length(shorter).parts <= sms_length(text).parts
        assert sms_length(shorter).units <= sms_length(text).units

    check()


@given(cjk_text)
def test_cjk_parts_follow_the_70_67_rule(text: str) -> None:
    n = len(text)
    if n == 0:
        assert sms_length(text) == SmsLength("gsm7", 0, 0)  # nothing to send, no part
    else:
        assert sms_length(text) == SmsLength("ucs2", n, 1 if n <= 70 else -(-n // 67))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("【活客银行】您的验证码是123456", True),
        ("您的验证码是123456【活客银行】", True),
        ("限时【特惠】活动", True),
        ("您好，欢迎光临", False),
        ("【】空括号", False),
        ("[活客银行] ASCII brackets", False),
    ],
)
def test_has_signature(text: str, expected: bool) -> None:
    assert has_signature(text) is expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("【活客银行】", "活客银行"), ("活客银行", "活客银行"), (" 【招财】 ", "招财")]
)
def test_signature_is_stored_without_brackets(raw: str, expected: str) -> None:
    assert normalise_signature(raw) == expected


@pytest.mark.parametrize(
    "raw", ["【行】", "行", "【一二三四五六七八九十一二三】", "活客【银行】", "活客\n银行", "【 】"]
)
def test_bad_signatures_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="signature"):
        normalise_signature(raw)


@pytest.mark.parametrize(
    "reply",
    [
        "R",
        "r",
        " R ",
        "T",
        "td",
        "TD",
        "ＴＤ",
        "ｔｄ",
        "TD。",
        "T D",
        "n",
        "退订",
        "拒收",
        "【退订】",
        "我要退订",
        "退订，谢谢",
    ],
)
def test_opt_out_replies(reply: str) -> None:
    assert is_opt_out_reply(reply)


@pytest.mark.parametrize("reply", ["", "  ", "好的", "Thanks", "OK", "RT", "no", "收到", "1"])
def test_other_replies_are_not_opt_outs(reply: str) -> None:
    assert not is_opt_out_reply(reply)


def test_every_listed_reply_word_is_recognised() -> None:
    assert all(is_opt_out_reply(word) for word in OPT_OUT_REPLIES)
    assert all(is_opt_out_reply(f"  {word.lower()}！") for word in OPT_OUT_REPLIES)
