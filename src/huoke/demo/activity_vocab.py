"""What customers do in the bank's app, WeChat mini-program and website: pages, searches, forms, coupons.

Property names follow the standard event catalogue (`huoke.events.catalogue`). No value contains a quote
or a backslash, so JSON text can be assembled from them directly.
"""

from __future__ import annotations

from huoke.demo.activity_draws import Choice

PAGES = (
    "home", "wealth/list", "wealth/detail", "fund/list", "deposit/list", "card/bill", "card/apply", "transfer",
    "loan/apply", "benefits", "coffee/map", "pension/zone", "points/mall", "me",
)  # fmt: skip
QUERIES = (
    "理财", "大额存单", "养老理财", "基金定投", "信用卡还款", "房贷计算器", "积分兑换", "咖啡券", "转账限额",
    "存款利率", "黄金", "保险", "手机号转账", "挂失", "社保卡", "外汇牌价",
)  # fmt: skip
TARGETS = (
    "banner/spring_festival", "banner/coffee_card", "button/buy", "button/transfer", "tab/wealth", "tab/life",
    "button/check_in", "banner/pension", "button/coupon",
)  # fmt: skip
FORMS = ("risk_assessment", "card_application", "loan_application", "branch_appointment", "address_update")
COUPONS = ("COFFEE26", "COFFEE29", "TAXI10", "MOVIE20", "MARKET15", "FUEL30")
SURVEYS = ("nps-app", "csat-branch", "csat-hotline")
SYSTEMS = ("android", "ios", "harmonyos")
APP_VERSIONS = ("8.2.0", "8.3.1", "8.4.0")
LOGIN_METHODS = ("password", "sms", "biometric", "gesture")
SHARE_TO = ("wechat_friend", "wechat_moments", "qq")
REPLIES = ("好的，谢谢", "收到", "怎么办理？", "请客户经理联系我", "已了解")

# Events after opening and logging in, by group (young, middle, silver), over activity_columns.EVENT_TYPES:
# app_open, login, page_view, product_view, search, click, form_submit, share, coupon_redeemed,
# survey_answered, message_replied.
EVENT_MIX = Choice([
    [0, 0, 30, 22, 10, 22, 3, 4, 5, 1, 1],
    [0, 0, 32, 24, 8, 22, 3, 3, 4, 1.5, 1.5],
    [0, 0, 45, 24, 3, 18, 2, 1, 3, 2, 2],
])  # fmt: skip
PROSPECT_MIX = Choice([[0, 0, 55, 30, 15, 0, 0, 0, 0, 0, 0]])
OPERATING_SYSTEMS = Choice([[60, 30, 10]])
LOGINS = Choice([[35, 10, 45, 10], [35, 15, 40, 10], [50, 40, 8, 2]])  # silver customers type passwords
