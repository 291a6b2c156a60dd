"""Where the synthetic bank operates: the cities and districts of Zhejiang with their GB/T 2260 codes.

The bank is a fictional city commercial bank headquartered in Hangzhou. Its branches are named after the
province's cities and its sub-branches after their districts and counties; the same six-digit district codes
prefix the resident ID numbers of customers born there. Other provinces supply the codes of customers who
moved to Zhejiang.
"""

from __future__ import annotations

from dataclasses import dataclass

BANK_NAME = "钱塘银行"


@dataclass(frozen=True, slots=True)
class District:
    short_name: str  # as used in sub-branch names: 西湖 → 杭州西湖支行
    region_code: str  # GB/T 2260 six-digit code


@dataclass(frozen=True, slots=True)
class City:
    short_name: str
    weight: float  # relative size of the bank's business there
    districts: tuple[District, ...]

    @property
    def name(self) -> str:
        return f"{self.short_name}市"


def _districts(text: str) -> tuple[District, ...]:
    return tuple(District(token[:-6], token[-6:]) for token in text.split())


# Ordered by the bank's presence: the head-office city first.
CITIES: tuple[City, ...] = (
    City(
        "杭州",
        3.0,
        _districts(
            "上城330102 拱墅330105 西湖330106 滨江330108 萧山330109 余杭330110 富阳330111 临安330112 "
            "临平330113 钱塘330114 桐庐330122 淳安330127 建德330182"
        ),
    ),
    City(
        "宁波",
        2.0,
        _districts(
            "海曙330203 江北330205 北仑330206 镇海330211 鄞州330212 奉化330213 象山330225 宁海330226 "
            "余姚330281 慈溪330282"
        ),
    ),
    City(
        "温州",
        1.6,
        _districts(
            "鹿城330302 龙湾330303 瓯海330304 洞头330305 永嘉330324 平阳330326 苍南330327 瑞安330381 "
            "乐清330382 龙港330383"
        ),
    ),
    City("绍兴", 1.2, _districts("越城330602 柯桥330603 上虞330604 新昌330624 诸暨330681 嵊州330683")),
    City(
        "嘉兴",
        1.0,
        _districts("南湖330402 秀洲330411 嘉善330421 海盐330424 海宁330481 平湖330482 桐乡330483"),
    ),
    City(
        "金华",
        1.1,
        _districts("婺城330702 金东330703 武义330723 浦江330726 兰溪330781 义乌330782 东阳330783 永康330784"),
    ),
    City(
        "台州",
        1.0,
        _districts(
            "椒江331002 黄岩331003 路桥331004 三门331022 天台331023 仙居331024 温岭331081 临海331082 玉环331083"
        ),
    ),
    City("湖州", 0.7, _districts("吴兴330502 南浔330503 德清330521 长兴330522 安吉330523")),
    City("衢州", 0.5, _districts("柯城330802 衢江330803 常山330822 开化330824 龙游330825 江山330881")),
    City("丽水", 0.5, _districts("莲都331102 青田331121 缙云331122 遂昌331123 松阳331124 龙泉331181")),
    City("舟山", 0.4, _districts("定海330902 普陀330903 岱山330921 嵊泗330922")),
)

# Districts elsewhere in China (capital-city districts), for customers born outside Zhejiang.
MIGRANT_REGION_CODES: tuple[str, ...] = (
    "340104",
    "360102",
    "410105",
    "420106",
    "430104",
    "510107",
    "320106",
    "310104",
    "110105",
    "370102",
    "440106",
    "350102",
    "500103",
    "610113",
    "230103",
    "450103",
    "620102",
    "520102",
    "130102",
    "140105",
)


def all_region_codes() -> tuple[str, ...]:
    """Every region code customers are born in: Zhejiang districts first, then other provinces."""
    local = tuple(district.region_code for city in CITIES for district in city.districts)
    return local + MIGRANT_REGION_CODES
