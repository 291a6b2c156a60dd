"""WeChat template messages reach the customer's openid through the address book, over the official account's
API (a local server speaking it); without an address a message fails `no_address`; an address file keeps its
good rows and reports the bad ones."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from huoke.app import build_ingestion
from huoke.customers.import_service import import_file
from huoke.customers.service import one_ids_by_customer_no
from huoke.messaging import addresses, inbound, service
from huoke.messaging.store import AddressRow
from huoke.platform.runtime import Runtime
from tests.conftest import START
from tests.integration.customers.bank_files import write_csv
from tests.integration.messaging.bank import messages_of, open_bank, run_until, send
from tests.support.providers import WechatServer

OPENID = "oX1a2b3c4d5e6f7g8h9i0jklmnop"
WECHAT_NOTICE = {
    "name": "wx_statement",
    "channel": "wechat_template",
    "purpose": "service",
    "template_id": "TM00001",
    "body": "{{ customer.honorific }}，您的11月对账单已生成。",
    "data": {"first": "{{ customer.honorific }}，您的对账单已生成", "keyword1": "2026年11月"},
    "url": "https://m.bank.example.cn/statement",
}


@pytest.fixture
def bank_runtime(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    open_bank(runtime, tmp_path / "bank")
    service.create_template(runtime, WECHAT_NOTICE, actor="test")
    monkeypatch.setenv("HUOKE_TEST_WECHAT_SECRET", "app-secret")
    return runtime


def _configure(runtime: Runtime, server: WechatServer) -> None:
    (runtime.settings.data_dir / "channels.toml").write_text(
        f'[wechat_template]\nbase_url = "{server.url}"\nappid = "wx-app"\nsecret_env = "HUOKE_TEST_WECHAT_SECRET"\n',
        encoding="utf-8",
    )


def test_a_wechat_template_message_goes_to_the_stored_openid(bank_runtime: Runtime) -> None:
    with WechatServer("wx-app", "app-secret") as server:
        _configure(bank_runtime, server)
        addresses.set_address(
            bank_runtime, customer_no="C2", channel="wechat_template", address=OPENID, source="test", actor="test"
        )
        send(bank_runtime, "C2", "wx_statement")
        run_until(bank_runtime, START + timedelta(minutes=1))

        [sent] = server.sent
        assert sent["touser"] == OPENID
        assert sent["template_id"] == "TM00001"
        assert sent["data"]["first"]["value"] == "李女士，您的对账单已生成"
        [message] = messages_of(bank_runtime, "C2")
        assert message["status"] == "sent"
        assert message["recipient"] == "oX1a****mnop"
    with bank_runtime.uow() as uow:
        [row] = uow.session.scalars(select(AddressRow)).all()
        assert OPENID not in row.address_enc  # kept encrypted


def test_without_an_address_the_message_fails_no_address(bank_runtime: Runtime) -> None:
    send(bank_runtime, "C1", "wx_statement")
    run_until(bank_runtime, START + timedelta(minutes=1))
    [message] = messages_of(bank_runtime, "C1")
    assert (message["status"], message["reason"]) == ("failed", "no_address")


def test_an_address_file_keeps_good_rows_and_names_the_bad_ones(bank_runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "addresses.csv"
    path.write_text(
        "customer_no,channel,address\n"
        f"C1,wechat_template,{OPENID}\n"
        "C9,wechat_template,oNobody0000000000000000000\n"
        "C2,sms,13800002222\n"
        "C2,push,\n"
        "C2,push,device-token-0001\n",
        encoding="utf-8",
    )
    result = addresses.import_addresses(bank_runtime, path, actor="test")
    assert (result["accepted"], result["rejected"]) == (2, 3)
    assert [(e["row"], e["field"]) for e in result["errors"]] == [(3, "customer_no"), (4, "channel"), (5, "address")]
    again = addresses.import_addresses(bank_runtime, path, actor="test")
    assert again["accepted"] == 2
    with bank_runtime.uow() as uow:
        assert len(uow.session.scalars(select(AddressRow)).all()) == 2  # the same file again changes nothing


def test_a_wechat_follow_event_records_the_followers_openid(bank_runtime: Runtime, tmp_path: Path) -> None:
    customer = {"customer_no": "C3", "name": "王芳", "gender": "F", "wechat_openid": OPENID, "branch_code": "SB01"}
    import_file(bank_runtime, kind="customers", path=write_csv(tmp_path / "c3.csv", [customer]))
    created = int(START.timestamp())
    follow = (
        "<xml><ToUserName><![CDATA[gh_bank]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>"
    ).encode()

    report = inbound.wechat_event(bank_runtime, build_ingestion(bank_runtime), follow)

    assert report["accepted"] == 1
    with bank_runtime.uow() as uow:
        c3 = one_ids_by_customer_no(uow.session, ["C3"])["C3"]
        book = addresses.addresses_of(uow.session, bank_runtime.cipher, [c3])
    assert book == {(c3, "wechat_template"): OPENID}
