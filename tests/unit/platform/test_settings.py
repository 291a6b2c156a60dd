"""Settings: safe keys in production, a usable trial in dev/demo, and where the data lives."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from huoke.platform.errors import ConfigurationError
from huoke.platform.settings import DEV_BLIND_INDEX_KEY, DEV_ENCRYPTION_KEYS, Settings

KEY_A = bytes(range(32))
KEY_B = bytes(range(50, 82))
BIDX = b"i" * 32


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


GOOD_KEYS = f"a1:{b64(KEY_A)}"
GOOD_BIDX = b64(BIDX)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("HUOKE_"):
            monkeypatch.delenv(name)


def settings(**values: object) -> Settings:
    return Settings(**values)  # type: ignore[arg-type]


def refusal(**values: object) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        settings(**values).keyring()
    return caught.value


# --- production keys ------------------------------------------------------------------------------------


def test_profile_defaults_to_prod() -> None:
    assert settings().profile == "prod"


@pytest.mark.parametrize(
    "values",
    [{}, {"encryption_keys": GOOD_KEYS}, {"blind_index_key": GOOD_BIDX}],
    ids=["neither", "no-blind-index-key", "no-encryption-keys"],
)
def test_prod_without_keys_refuses_to_start(values: dict[str, str]) -> None:
    error = refusal(profile="prod", **values)

    assert error.code == "missing_secret_keys"
    assert "HUOKE_ENCRYPTION_KEYS" in error.message


@pytest.mark.parametrize(
    "values",
    [
        {"encryption_keys": DEV_ENCRYPTION_KEYS, "blind_index_key": DEV_BLIND_INDEX_KEY},
        {"encryption_keys": DEV_ENCRYPTION_KEYS, "blind_index_key": GOOD_BIDX},
        {"encryption_keys": GOOD_KEYS, "blind_index_key": DEV_BLIND_INDEX_KEY},
        {"encryption_keys": f"{GOOD_KEYS},{DEV_ENCRYPTION_KEYS}", "blind_index_key": GOOD_BIDX},
        {"encryption_keys": "x:" + DEV_ENCRYPTION_KEYS.split(":")[1], "blind_index_key": GOOD_BIDX},
    ],
    ids=["both-dev", "dev-encryption", "dev-blind-index", "dev-as-old-key", "dev-key-renamed"],
)
def test_prod_refuses_the_built_in_dev_keys(values: dict[str, str]) -> None:
    assert refusal(profile="prod", **values).code == "default_secret_keys"


def test_prod_with_generated_keys_starts() -> None:
    active, keys, bidx = settings(profile="prod", encryption_keys=GOOD_KEYS, blind_index_key=GOOD_BIDX).keyring()

    assert active == "a1"
    assert keys == {"a1": KEY_A}
    assert bidx == BIDX


@pytest.mark.parametrize("profile", ["dev", "demo"])
def test_dev_and_demo_profiles_start_without_keys(profile: str) -> None:
    active, keys, bidx = settings(profile=profile).keyring()

    assert active == "dev1"
    assert len(keys["dev1"]) == 32
    assert len(bidx) == 32


def test_dev_profile_uses_configured_keys_when_given() -> None:
    active, keys, bidx = settings(profile="dev", encryption_keys=GOOD_KEYS, blind_index_key=GOOD_BIDX).keyring()

    assert (active, keys, bidx) == ("a1", {"a1": KEY_A}, BIDX)


# --- malformed keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encryption_keys",
    [
        "a1:not base64!!",
        f"a1:{b64(b'x' * 16)}",
        f"a1:{b64(b'x' * 33)}",
        b64(KEY_A),
        f":{b64(KEY_A)}",
        f"{GOOD_KEYS},b2:???",
        " , ",
    ],
    ids=["not-base64", "16-bytes", "33-bytes", "missing-id", "empty-id", "second-key-bad", "no-key"],
)
@pytest.mark.parametrize("profile", ["prod", "dev"])
def test_malformed_encryption_keys_are_refused(encryption_keys: str, profile: str) -> None:
    error = refusal(profile=profile, encryption_keys=encryption_keys, blind_index_key=GOOD_BIDX)

    assert error.code == "bad_secret_keys"
    assert "HUOKE_ENCRYPTION_KEYS" in error.message


@pytest.mark.parametrize("blind_index_key", ["%%%", b64(b"short")], ids=["not-base64", "wrong-length"])
def test_malformed_blind_index_key_is_refused(blind_index_key: str) -> None:
    error = refusal(profile="prod", encryption_keys=GOOD_KEYS, blind_index_key=blind_index_key)

    assert error.code == "bad_secret_keys"
    assert "HUOKE_BLIND_INDEX_KEY" in error.message


def test_bad_key_message_does_not_echo_the_whole_secret() -> None:
    secret = b64(KEY_A)

    error = refusal(profile="prod", encryption_keys=secret, blind_index_key=GOOD_BIDX)

    assert secret not in error.message


def test_first_encryption_key_is_the_active_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUOKE_PROFILE", "prod")
    monkeypatch.setenv("HUOKE_ENCRYPTION_KEYS", f"b2:{b64(KEY_B)}, a1:{b64(KEY_A)}")
    monkeypatch.setenv("HUOKE_BLIND_INDEX_KEY", GOOD_BIDX)

    active, keys, _ = Settings().keyring()

    assert active == "b2"
    assert keys == {"b2": KEY_B, "a1": KEY_A}


# --- where data lives -----------------------------------------------------------------------------------


def test_database_defaults_to_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    url = settings(data_dir=tmp_path / "data").database

    assert url == f"sqlite:///{(tmp_path / 'data' / 'huoke.db').resolve()}"


def test_database_url_wins_when_set(tmp_path: Path) -> None:
    url = "postgresql+psycopg://huoke@db.example/huoke"

    assert settings(data_dir=tmp_path, database_url=url).database == url


def test_data_dir_and_database_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUOKE_DATA_DIR", str(tmp_path / "elsewhere"))

    loaded = Settings()

    assert loaded.data_dir == tmp_path / "elsewhere"
    assert loaded.database == f"sqlite:///{(tmp_path / 'elsewhere' / 'huoke.db').resolve()}"

    monkeypatch.setenv("HUOKE_DATABASE_URL", "sqlite:///other.db")
    assert Settings().database == "sqlite:///other.db"


def test_explicit_values_override_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUOKE_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("HUOKE_PROFILE", "prod")

    loaded = settings(data_dir=tmp_path / "explicit", profile="dev")

    assert loaded.data_dir == tmp_path / "explicit"
    assert loaded.profile == "dev"


def test_business_time_zone_defaults_to_shanghai() -> None:
    assert settings().zone.key == "Asia/Shanghai"
