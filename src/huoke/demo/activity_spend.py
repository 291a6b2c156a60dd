"""Card spend: what customers buy, where, when and for how much, on their debit and credit cards.

Merchant categories are ISO 18245 merchant category codes (MCC). Each category has a log-normal amount
(median, σ), an hour profile, a share per age group and a factor per kind of day: weekends lift dining,
shopping and cinemas while commuting falls; the fortnight before Spring Festival lifts supermarkets, liquor,
jewellery, clothing and rail tickets (春运); Double 11 (and, less, 6·18) lifts online marketplaces and
electronics; golden week lifts hotels, fuel and travel. Holders of the coffee co-brand card buy coffee often.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from huoke.demo.activity_calendar import DAY_KINDS, PRE_FESTIVAL
from huoke.demo.activity_columns import TXN_CHANNELS, TxnColumns, txn_type, txns
from huoke.demo.activity_draws import Choice, lognormal_fen, poisson_cells, round_fen
from huoke.demo.activity_hours import profile
from huoke.demo.activity_world import Tile, World, usable


class Category(NamedTuple):
    """One merchant category: its amounts, hours, who buys there and on which days."""

    mcc: str
    hours: str  # hour profile (activity_hours)
    median_yuan: float
    sigma: float  # of the log-normal amount
    weights: tuple[float, float, float]  # share of card payments: young, middle, silver
    day_factors: tuple[float, float, float, float, float, float]  # by day kind (activity_calendar)
    merchants: str  # names separated by "/"
    online: bool = False
    step_fen: int = 1  # amounts round to this (100 = whole yuan)


CATEGORIES = (
    Category("5411", "shopping", 110, .8, (12, 16, 22), (1, 1.3, 2.2, .8, 1, 1.2),
             "盒马鲜生/永辉超市/物美超市/华润万家/联华超市/大润发"),
    Category("5499", "anytime", 22, .6, (10, 7, 4), (1.1, .9, 1, .8, 1, 1),
             "全家便利店/罗森/美宜佳/便利蜂/7-Eleven"),
    Category("5814", "coffee", 28, .35, (8, 4, .5), (1.2, .8, .9, .6, 1, .9),
             "瑞幸咖啡/星巴克/Manner Coffee/库迪咖啡"),
    Category("5814", "dining", 32, .5, (12, 8, 3), (1.2, .9, .9, .7, 1, 1),
             "肯德基/麦当劳/美团外卖/饿了么/喜茶/蜜雪冰城"),
    Category("5812", "dining", 120, .7, (10, 11, 7), (.9, 1.6, 1.3, 1.8, 1, 1.7),
             "海底捞/外婆家/绿茶餐厅/西贝莜面村/知味观"),
    Category("4111", "commute", 4, .35, (8, 5, 1), (1.4, .4, .8, .2, 1, .3),
             "杭州地铁/杭州公交/宁波轨道交通", step_fen=100),
    Category("4121", "commute", 28, .55, (6, 5, 2), (1.1, .9, 1.1, 1, 1, 1.2),
             "滴滴出行/曹操出行/高德打车"),
    Category("5541", "daytime", 300, .3, (3, 6, 2), (1, 1.2, 1.4, 1.5, 1, 2),
             "中国石化/中国石油", step_fen=100),
    Category("5311", "shopping", 380, .9, (4, 5, 4), (.7, 1.8, 2, 1.4, 1, 1.8),
             "银泰百货/万象城/杭州大厦/大悦城"),
    Category("5651", "shopping", 260, .7, (5, 4, 2), (.7, 1.7, 2.4, 1.2, 1.3, 1.5),
             "优衣库/太平鸟/海澜之家/ZARA"),
    Category("5399", "online", 95, 1, (16, 12, 4), (1, 1.1, 1.6, .6, 6, 1),
             "淘宝/天猫/京东/拼多多/抖音商城", online=True),
    Category("5732", "shopping", 1500, 1, (2, 2, .7), (.8, 1.5, 1.6, 1, 4, 1.3),
             "苏宁易购/小米之家/华为体验店/Apple Store"),
    Category("5912", "daytime", 70, .8, (2, 3, 8), (1, 1, 1, .8, 1, 1),
             "老百姓大药房/海王星辰/益丰大药房"),
    Category("8062", "daytime", 180, 1.1, (1, 2, 7), (1.1, .5, .8, .4, 1, .6),
             "市第一人民医院/省人民医院/社区卫生服务中心"),
    Category("7832", "evening", 75, .35, (3, 2, .5), (.6, 2.2, 1, 3, 1, 2),
             "万达影城/横店电影城/CGV影城"),
    Category("7011", "anytime", 420, .6, (1.5, 2, .8), (.8, 1.4, 1, 2, 1, 4),
             "如家酒店/汉庭酒店/全季酒店/亚朵酒店", online=True),
    Category("4112", "anytime", 260, .6, (1.5, 1.5, 1), (.8, 1.2, 3.5, 1.5, 1, 3),
             "中国铁路12306", online=True),
    Category("4900", "daytime", 150, .6, (2, 3, 4), (1, 1, 1, 1, 1, 1),
             "国网浙江电力/杭州水务/杭州燃气", online=True),
    Category("4814", "anytime", 80, .5, (2, 2, 2), (1, 1, 1, 1, 1, 1),
             "中国移动/中国联通/中国电信", online=True, step_fen=100),
    Category("5921", "shopping", 600, .9, (.6, 1.2, .8), (.8, 1.1, 6, 2, 1, 1.3),
             "茅台专卖店/五粮液专卖店/名烟名酒"),
    Category("5944", "shopping", 3200, .8, (.2, .3, .3), (.5, 1.5, 4, 2, 2, 2.5),
             "周大福/老凤祥/周生生"),
    Category("8220", "daytime", 2200, 1, (.4, 1.2, .1), (1.2, 1, .4, .2, 1, .5),
             "新东方/学而思", online=True, step_fen=100),
    Category("5977", "shopping", 180, .8, (2, 1.5, .4), (.8, 1.4, 1.6, 1, 3, 1.2),
             "丝芙兰/屈臣氏"),
)  # fmt: skip
MCC_CODES = tuple(c.mcc for c in CATEGORIES)
MERCHANTS = tuple(m for c in CATEGORIES for m in c.merchants.split("/"))
COFFEE = 2  # index of the coffee category
COFFEE_CARD_SHARE = 0.25  # of a coffee cardholder's card payments that go to coffee shops
PRE_FESTIVAL_AMOUNT = 1.2  # bigger baskets in the 年货 fortnight
_HOURS = np.array([profile(c.hours) for c in CATEGORIES], dtype=np.int64)
_ONLINE = np.array([c.online for c in CATEGORIES], dtype=np.int64)
_MEDIAN = np.array([c.median_yuan for c in CATEGORIES], dtype=np.float64)
_SIGMA = np.array([c.sigma for c in CATEGORIES], dtype=np.float64)
_STEP = np.array([c.step_fen for c in CATEGORIES], dtype=np.int64)
_COUNTS = np.array([len(c.merchants.split("/")) for c in CATEGORIES], dtype=np.int64)
_OFFSETS = np.concatenate([[0], np.cumsum(_COUNTS)[:-1]]).astype(np.int64)
_MIX = Choice([[c.weights[g] * c.day_factors[k] for c in CATEGORIES] for g in range(3) for k in range(len(DAY_KINDS))])


def _channel_weights(store: dict[str, float], online: dict[str, float]) -> list[list[float]]:
    return [[weights.get(ch, 0.0) for ch in TXN_CHANNELS] for weights in (store, online)]


# rows: group × (in store, online); silver customers pay at the POS terminal far more often.
_CHANNELS = Choice(
    _channel_weights({"pos": 20, "wechat_pay": 40, "alipay": 40}, {"online": 30, "alipay": 40, "wechat_pay": 30})
    + _channel_weights({"pos": 35, "wechat_pay": 35, "alipay": 30}, {"online": 40, "alipay": 35, "wechat_pay": 25})
    + _channel_weights({"pos": 70, "wechat_pay": 20, "alipay": 10}, {"online": 60, "alipay": 20, "wechat_pay": 20})
)


def card_spend(world: World, tile: Tile) -> TxnColumns:
    """Card payments of a tile: Poisson counts per customer-day, then category, merchant, amount, time."""
    book, habits, rng = world.book, world.habits, tile.rng
    block, days = tile.customers[:, None], tile.days[None, :]
    debit_ok = usable(book.debit, block, days)
    credit_ok = usable(book.credit, block, days)
    spend = world.calendar.spend[tile.day_index][None, :]
    rates = habits.spend_rate[block] * tile.level * spend * (debit_ok | credit_ok)
    cells = poisson_cells(rng, rates)
    customer = tile.customers[cells.row]
    day_index = tile.day_index[cells.col]
    kind = world.calendar.kind[day_index]
    group = habits.group[customer]
    category = _MIX.draw(rng, group * len(DAY_KINDS) + kind)
    coffee = book.coffee[customer] & (rng.random(len(cells)) < COFFEE_CARD_SHARE)
    category[coffee] = COFFEE
    both = debit_ok[cells.row, cells.col] & credit_ok[cells.row, cells.col]
    on_credit = credit_ok[cells.row, cells.col] & (~both | (rng.random(len(cells)) < habits.credit_share[customer]))
    account = np.where(on_credit, book.credit.row[customer], book.debit.row[customer])
    median = _MEDIAN[category] * habits.spend_level[customer] * np.where(kind == PRE_FESTIVAL, PRE_FESTIVAL_AMOUNT, 1)
    fen = round_fen(lognormal_fen(rng, median, _SIGMA[category], len(cells)), _STEP[category])
    return txns(
        customer=customer,
        account=account,
        day=tile.days[cells.col],
        second=world.clock.seconds(rng, _HOURS[category], habits.silver[customer]),
        fen=fen,
        kind=txn_type("card_spend"),
        channel=_CHANNELS.draw(rng, group * 2 + _ONLINE[category]),
        mcc=category,
        merchant=_OFFSETS[category] + (rng.random(len(cells)) * _COUNTS[category]).astype(np.int64),
    )
