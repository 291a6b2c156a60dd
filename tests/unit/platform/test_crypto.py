"""PII protection: AES-GCM sealing with key ids and field binding, blind indexes, and masking."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.platform.crypto import (
    PiiCipher,
    mask_account,
    mask_email,
    mask_id_card,
    mask_name,
    mask_phone,
)
from huoke.platform.errors import ConfigurationError

OLD_KEY = bytes(range(32))
NEW_KEY = bytes(range(100, 132))
BIDX_KEY = b"b" * 32
OTHER_BIDX_KEY = b"c" * 32


def cipher(active: str = "k1", keys: dict[str, bytes] | None = None, bidx: bytes = BIDX_KEY) -> PiiCipher:
    return PiiCipher(active, keys if keys is not None else {"k1": OLD_KEY}, bidx)


def flip_byte(token: str, index: int) -> str:
    kid, _, body = token.partition(":")
    raw = bytearray(base64.b64decode(body))
    raw[index % len(raw)] ^= 0x01
    return f"{kid}:{base64.b64encode(bytes(raw)).decode()}"


# --- encryption ---------------------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_decrypt_returns_what_was_encrypted(plaintext: str) -> None:
    pii = cipher()

    assert pii.decrypt("phone", pii.encrypt("phone", plaintext)) == plaintext


def test_ciphertext_names_the_active_key_and_hides_the_plaintext() -> None:
    token = cipher().encrypt("phone", "13812345678")

    assert token.startswith("k1:")
    assert "13812345678" not in token


def test_same_plaintext_encrypts_differently_each_time() -> None:
    pii = cipher()

    tokens = {pii.encrypt("phone", "13812345678") for _ in range(5)}

    assert len(tokens) == 5


def test_a_phone_ciphertext_does_not_decrypt_as_an_email() -> None:
    pii = cipher()
    token = pii.encrypt("phone", "13812345678")

    with pytest.raises(ConfigurationError) as caught:
        pii.decrypt("email", token)

    assert caught.value.code == "decrypt_failed"


@pytest.mark.parametrize("index", [0, 5, 12, 20, -1])
def test_a_tampered_ciphertext_is_refused(index: int) -> None:
    pii = cipher()
    token = pii.encrypt("phone", "13812345678")

    with pytest.raises(ConfigurationError) as caught:
        pii.decrypt("phone", flip_byte(token, index))

    assert caught.value.code == "decrypt_failed"


def test_a_ciphertext_sealed_under_another_key_with_the_same_id_is_refused() -> None:
    token = cipher(keys={"k1": OLD_KEY}).encrypt("phone", "13812345678")

    with pytest.raises(ConfigurationError) as caught:
        cipher(keys={"k1": NEW_KEY}).decrypt("phone", token)

    assert caught.value.code == "decrypt_failed"


@pytest.mark.parametrize("keep", ["all-but-one-character", "key-id-only"])
def test_a_truncated_ciphertext_is_refused_as_decrypt_failed(keep: str) -> None:
    pii = cipher()
    token = pii.encrypt("phone", "13812345678")
    truncated = token[:-1] if keep == "all-but-one-character" else "k1:"

    with pytest.raises(ConfigurationError) as caught:
        pii.decrypt("phone", truncated)

    assert caught.value.code == "decrypt_failed"


# --- key rotation ---------------------------------------------------------------------------------------


def test_old_tokens_still_decrypt_after_rotation_and_are_flagged_for_rotation() -> None:
    before = cipher("k1", {"k1": OLD_KEY})
    old_token = before.encrypt("email", "li@example.com")
    after = cipher("k2", {"k2": NEW_KEY, "k1": OLD_KEY})

    assert after.decrypt("email", old_token) == "li@example.com"
    assert after.needs_rotation(old_token)


def test_new_encryptions_use_the_active_key_and_need_no_rotation() -> None:
    after = cipher("k2", {"k2": NEW_KEY, "k1": OLD_KEY})

    token = after.encrypt("email", "li@example.com")

    assert after.active_key_id == "k2"
    assert token.startswith("k2:")
    assert not after.needs_rotation(token)
    assert cipher("k2", {"k2": NEW_KEY}).decrypt("email", token) == "li@example.com"


def test_needs_rotation_does_not_confuse_key_ids_sharing_a_prefix() -> None:
    pii = cipher("k1", {"k1": OLD_KEY, "k10": NEW_KEY})
    token_k10 = cipher("k10", {"k10": NEW_KEY}).encrypt("phone", "13812345678")

    assert pii.needs_rotation(token_k10)


def test_a_token_whose_key_is_no_longer_configured_gives_a_clear_error() -> None:
    token = cipher("k1", {"k1": OLD_KEY}).encrypt("phone", "13812345678")

    with pytest.raises(ConfigurationError) as caught:
        cipher("k2", {"k2": NEW_KEY}).decrypt("phone", token)

    assert caught.value.code == "unknown_key_id"
    assert "'k1'" in caught.value.message
    assert "phone" in caught.value.message


def test_an_active_key_id_without_a_key_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PiiCipher("k9", {"k1": OLD_KEY}, BIDX_KEY)

    assert caught.value.code == "bad_secret_keys"


# --- blind index ----------------------------------------------------------------------------------------


def test_blind_index_is_deterministic_and_opaque() -> None:
    first = cipher().blind_index("phone", "13812345678")

    assert first == cipher().blind_index("phone", "13812345678")
    assert "13812345678" not in first
    assert len(first) == 64


def test_blind_index_does_not_depend_on_the_encryption_key() -> None:
    assert cipher("k1", {"k1": OLD_KEY}).blind_index("phone", "1") == cipher("k2", {"k2": NEW_KEY}).blind_index(
        "phone", "1"
    )


def test_blind_index_differs_per_kind() -> None:
    pii = cipher()

    assert pii.blind_index("phone", "13812345678") != pii.blind_index("account", "13812345678")


def test_blind_index_differs_per_key() -> None:
    assert cipher(bidx=BIDX_KEY).blind_index("phone", "13812345678") != cipher(bidx=OTHER_BIDX_KEY).blind_index(
        "phone", "13812345678"
    )


def test_blind_index_kind_and_value_cannot_be_shifted_into_each_other() -> None:
    pii = cipher()

    assert pii.blind_index("ab", "c") != pii.blind_index("a", "bc")


def test_blind_index_differs_per_value() -> None:
    pii = cipher()

    assert pii.blind_index("phone", "13812345678") != pii.blind_index("phone", "13812345679")


# --- masking --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["13812345678", "+8613812345678"])
def test_mask_phone_shows_prefix_and_last_four(phone: str) -> None:
    assert mask_phone(phone) == "138****5678"


def test_mask_phone_keeps_only_the_last_four_of_other_numbers() -> None:
    assert mask_phone("02162345678901") == "**********8901"


@pytest.mark.parametrize("number", ["11010119900307763X", "440301198512240018"])
def test_mask_id_card_shows_first_three_and_last_four_only(number: str) -> None:
    masked = mask_id_card(number)

    assert masked == number[:3] + "*" * 11 + number[-4:]
    assert number[6:14] not in masked  # the birth date
    assert len(masked) == len(number)


def visible_digits(masked: str) -> int:
    return sum(ch != "*" for ch in masked)


@pytest.mark.parametrize("number", ["6222021234567890", "6222021234567890123"])
def test_card_numbers_show_only_the_first_six_and_last_four(number: str) -> None:
    masked = mask_account(number)

    assert len(masked) == len(number)
    assert masked == number[:6] + "*" * (len(number) - 10) + number[-4:]


@pytest.mark.parametrize("number", ["1234567890", "123456", "12345678", "12"])
def test_short_account_numbers_never_show_more_than_half_of_the_digits(number: str) -> None:
    masked = mask_account(number)

    assert len(masked) == len(number)
    assert masked.endswith(number[-1:])
    assert visible_digits(masked) <= len(number) // 2


def test_mask_account_keeps_the_last_four_of_a_card() -> None:
    masked = mask_account("6222021234567890")

    assert masked.endswith("7890")
    assert masked[6:12] == "******"


@pytest.mark.parametrize(
    ("email", "masked"),
    [("zhangsan@example.com", "z***@example.com"), ("a@b.cn", "a***@b.cn")],
)
def test_mask_email_keeps_first_letter_and_domain(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧***"), ("", "")],
)
def test_mask_name_shows_only_the_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked
