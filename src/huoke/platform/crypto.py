"""PII protection: AES-256-GCM with key ids, HMAC-SHA256 blind indexes, and masking.

Ciphertexts are ``<key id>:<base64(nonce || ciphertext || tag)>``; the field name is bound as associated
data so a phone ciphertext cannot be replayed as an e-mail. Blind indexes are keyed per field kind, so the
same digits as a phone and as a card number never share an index value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from huoke.platform.errors import ConfigurationError

NONCE_BYTES = 12
_CARD_LENGTH = 16


class PiiCipher:
    """Encrypts and decrypts PII fields and computes blind indexes. Build once from Settings.keyring()."""

    def __init__(self, active_key_id: str, keys: dict[str, bytes], blind_index_key: bytes) -> None:
        if active_key_id not in keys:
            raise ConfigurationError(f"active key id {active_key_id!r} is not among the keys", code="bad_secret_keys")
        self._active = active_key_id
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self._bidx_key = blind_index_key
        self._bidx_kinds: dict[str, hmac.HMAC] = {}  # per kind, the MAC already fed with the key and the kind

    @property
    def active_key_id(self) -> str:
        return self._active

    def encrypt(self, field: str, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self._active].encrypt(nonce, plaintext.encode(), field.encode())
        return f"{self._active}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, field: str, token: str) -> str:
        kid, _, body = token.partition(":")
        aead = self._aead.get(kid)
        if aead is None:
            raise ConfigurationError(f"no key with id {kid!r} is configured to decrypt {field}", code="unknown_key_id")
        try:
            raw = base64.b64decode(body, validate=True)
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], field.encode()).decode()
        except (InvalidTag, ValueError) as exc:  # binascii.Error is a ValueError: truncated or mangled
            raise ConfigurationError(
                f"{field} ciphertext failed authentication (wrong key or tampering)", code="decrypt_failed"
            ) from exc

    def needs_rotation(self, token: str) -> bool:
        """True when the token was sealed with a key other than the active one."""
        return not token.startswith(f"{self._active}:")

    def blind_index(self, kind: str, normalized: str) -> str:
        """Deterministic keyed digest for exact lookup of a normalised value; opaque without the key."""
        keyed = self._bidx_kinds.get(kind)
        if keyed is None:
            keyed = self._bidx_kinds[kind] = hmac.new(self._bidx_key, kind.encode() + b"\x00", hashlib.sha256)
        mac = keyed.copy()  # cheaper than keying a new MAC: bulk imports compute millions of these
        mac.update(normalized.encode())
        return mac.hexdigest()


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678 (China mobile), other numbers keep their last 4 digits."""
    digits = phone.removeprefix("+86")
    if len(digits) == 11:  # noqa: PLR2004 - length of a China mobile number
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_id_card(number: str) -> str:
    """Resident ID: first 3 and last 4 characters only (no birth date shown)."""
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_account(number: str) -> str:
    """Card numbers (16+ digits): first 6 and last 4, the usual display rule for cards. Shorter account
    numbers: only the last digits, never more than half of them (at most 4)."""
    if len(number) >= _CARD_LENGTH:
        return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"
    shown = min(4, len(number) // 2)
    return "*" * (len(number) - shown) + (number[-shown:] if shown else "")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; Latin names keep their first letter."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)
