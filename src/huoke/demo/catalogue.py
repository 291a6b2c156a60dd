"""The synthetic bank's product catalogue: cards, deposits, wealth products, funds, insurance and loans."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

COFFEE_CARD = "CC-COFFEE"  # the co-branded coffee credit card of PRODUCT.md (gold and platinum)


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    product_type: str
    risk_level: str = ""  # R1–R5 for wealth products and funds
    card_bin: str = ""  # issuer prefix of card numbers


PRODUCTS: tuple[Product, ...] = (
    Product("DC-STD", "钱塘借记卡", "debit_card", card_bin="623061"),
    Product("DC-SOCIAL", "钱塘社保卡（金融功能）", "debit_card", card_bin="623062"),
    Product("DC-YOUTH", "青春借记卡", "debit_card", card_bin="623063"),
    Product("CC-STD", "钱塘信用卡", "credit_card", card_bin="625891"),
    Product("CC-TRAVEL", "畅游白金信用卡", "credit_card", card_bin="625892"),
    Product(COFFEE_CARD, "钱塘咖啡联名信用卡", "credit_card", card_bin="628362"),
    Product("DD-SAVE", "活期储蓄", "demand_deposit"),
    Product("DD-PAYROLL", "代发工资账户", "demand_deposit"),
    Product("TD-3M", "三个月整存整取", "time_deposit"),
    Product("TD-1Y", "一年期整存整取", "time_deposit"),
    Product("TD-3Y", "三年期整存整取", "time_deposit"),
    Product("TD-LCD", "大额存单", "time_deposit"),
    Product("TD-PENSION", "颐享养老定期", "time_deposit"),
    Product("WM-CASH", "天天利现金管理", "wealth", "R1"),
    Product("WM-STABLE90", "稳盈90天理财", "wealth", "R2"),
    Product("WM-PENSION", "颐养养老理财", "wealth", "R2"),
    Product("WM-MIXED1Y", "睿享一年期混合理财", "wealth", "R3"),
    Product("WM-EQUITY", "进取权益类理财", "wealth", "R4"),
    Product("WM-PRIVATE", "私行专享结构化理财", "wealth", "R5"),
    Product("FD-MONEY", "钱塘货币基金", "fund", "R1"),
    Product("FD-BOND", "稳健债券基金", "fund", "R2"),
    Product("FD-MIXED", "均衡混合基金", "fund", "R3"),
    Product("FD-INDEX", "沪深300指数基金", "fund", "R4"),
    Product("FD-TECH", "科技主题股票基金", "fund", "R5"),
    Product("IN-HEALTH", "百万医疗保险", "insurance"),
    Product("IN-ANNUITY", "养老年金保险", "insurance"),
    Product("IN-LIFE", "增额终身寿险", "insurance"),
    Product("IN-ACCIDENT", "综合意外保险", "insurance"),
    Product("LN-CONSUMER", "钱塘快贷", "loan"),
    Product("LN-BUSINESS", "个人经营贷款", "loan"),
    Product("LN-CAR", "汽车消费贷款", "loan"),
    Product("MG-HOME", "个人住房按揭贷款", "mortgage"),
    Product("MG-RESALE", "二手房按揭贷款", "mortgage"),
    Product("OT-GOLD", "积存金", "other"),
)

PRODUCTS_BY_CODE: dict[str, Product] = {product.code: product for product in PRODUCTS}


def risk_rank(level: str) -> int:
    """1–5 for R1–R5 or C1–C5."""
    return int(level[1])


@cache
def suitable(product_type: str, customer_risk: str) -> tuple[Product, ...]:
    """Products of a type whose risk level does not exceed the customer's (suitability rule)."""
    limit = risk_rank(customer_risk)
    return tuple(
        p for p in PRODUCTS if p.product_type == product_type and p.risk_level and risk_rank(p.risk_level) <= limit
    )
