"""Synthetic retail customers: demographics, contact identities and the sub-branch they belong to.

About one third are silver customers (≥ 60, more of them 60–75 than 75+); contact channels follow age: the
young have e-mail, WeChat and the app more often, the old open accounts at the counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from huoke.demo.dates import DAYS_PER_YEAR, years_ago
from huoke.demo.identifiers import MobileNumbers, ResidentIds, wechat_id
from huoke.demo.names import NameBook
from huoke.demo.orgtree import OrgChart, SubBranch
from huoke.demo.places import CITIES, MIGRANT_REGION_CODES, all_region_codes
from huoke.demo.sampling import Weighted, by_age

SILVER_AGE = 60
OLDEST_AGE = 95
_ANY_AGE = 200  # upper bound of the last age bracket in lookup tables
ADULT_AGE = 18
HISTORY_YEARS = 15
_AGE_BANDS = Weighted([((18, 24), 9), ((25, 34), 18), ((35, 44), 18), ((45, 59), 22), ((60, 74), 23), ((75, 95), 10)])
_GENDERS = Weighted([("M", 49), ("F", 49), ("U", 2)])
_OCCUPATIONS_STUDENT = Weighted([("学生", 60), ("企业职员", 30), ("自由职业", 10)])
_OCCUPATIONS_WORKING = Weighted(
    [
        ("企业职员", 30),
        ("制造业工人", 10),
        ("个体工商户", 10),
        ("私营企业主", 4),
        ("公务员", 5),
        ("事业单位人员", 7),
        ("教师", 5),
        ("医务人员", 4),
        ("金融从业人员", 3),
        ("IT从业人员", 6),
        ("自由职业", 7),
        ("农林牧渔人员", 5),
        ("军人", 0.5),
        ("", 3),
    ]
)
_OCCUPATIONS_SILVER = Weighted([("离退休人员", 80), ("个体工商户", 5), ("农林牧渔人员", 10), ("", 5)])
_MARITAL_BY_AGE = by_age(
    (  # (up to age, distribution)
        (24, Weighted([("single", 90), ("married", 10)])),
        (34, Weighted([("single", 40), ("married", 57), ("divorced", 3)])),
        (59, Weighted([("single", 6), ("married", 86), ("divorced", 8)])),
        (74, Weighted([("single", 3), ("married", 80), ("divorced", 5), ("widowed", 12)])),
        (_ANY_AGE, Weighted([("single", 1), ("married", 55), ("divorced", 2), ("widowed", 42)])),
    )
)
_JOIN_OLD = Weighted([("branch_counter", 80), ("online_banking", 15), ("payroll_partner", 5)])
_JOIN_NEW = Weighted(
    [
        ("mobile_app", 45),
        ("branch_counter", 30),
        ("wechat_mini_program", 10),
        ("payroll_partner", 10),
        ("online_banking", 5),
    ]
)
_LANGUAGES = Weighted([("zh-CN", 97), ("en", 2), ("zh-HK", 1)])
_EMAIL_DOMAINS = Weighted(
    [
        ("163.com", 25),
        ("qq.com", 30),
        ("126.com", 10),
        ("sina.com", 5),
        ("foxmail.com", 5),
        ("139.com", 5),
        ("outlook.com", 8),
        ("gmail.com", 5),
        ("hotmail.com", 2),
        ("aliyun.com", 5),
    ]
)
# (up to age, e-mail, WeChat, app) shares: the young are reachable online far more often.
_DIGITAL_BY_AGE = by_age(
    (
        (29, (0.55, 0.80, 0.88)),
        (44, (0.45, 0.75, 0.82)),
        (59, (0.25, 0.55, 0.62)),
        (74, (0.08, 0.35, 0.40)),
        (_ANY_AGE, (0.02, 0.10, 0.12)),
    )
)
_REGION_LOCAL_DISTRICT, _REGION_LOCAL_PROVINCE = 0.55, 0.85  # cumulative: own district, elsewhere in Zhejiang


@dataclass(slots=True)
class Person:
    serial: int
    customer_no: str
    name: str
    pinyin: str
    gender: str
    birth: int  # day ordinal
    age: int
    sub_branch: SubBranch
    city: str
    opened: int  # day ordinal
    occupation: str
    marital: str
    phone: str = ""
    email: str = ""
    id_card_no: str = ""
    openid: str = ""
    unionid: str = ""
    app_user: bool = False
    join_channel: str = ""
    language: str = "zh-CN"
    risk_level: str = ""
    rm_staff_no: str = ""

    @property
    def silver(self) -> bool:
        return self.age >= SILVER_AGE


class Population:
    """Draws customers one by one (and, now and then, the spouse of the previous one)."""

    def __init__(self, rng: Random, *, as_of: date, org: OrgChart, names: NameBook, phones: MobileNumbers) -> None:
        self._rng = rng
        self._today = as_of.toordinal()
        self.last_day = self._today - 1  # generated history ends the day before as_of
        self._youngest_birth = as_of.replace(year=as_of.year - ADULT_AGE, day=min(as_of.day, 28)).toordinal() - 1
        self._oldest_birth = years_ago(self._today, OLDEST_AGE + 2)
        self._org = org
        self._names = names
        self._phones = phones
        self._regions = all_region_codes()
        self._local_regions = len(self._regions) - len(MIGRANT_REGION_CODES)
        self._ids = ResidentIds(self._regions, self._oldest_birth, self._youngest_birth)

    def customer(self, serial: int) -> Person:
        rng = self._rng
        low, high = _AGE_BANDS.pick(rng)
        birth = min(years_ago(self._today, low + rng.random() * (high + 1 - low)), self._youngest_birth)
        sub_branch = self._org.sub_branches.pick(rng)
        return self._person(serial, _GENDERS.pick(rng), birth, sub_branch)

    def spouse_of(self, head: Person, serial: int) -> Person:
        """A married partner of `head`: opposite sex, similar age, same sub-branch; rarely the same phone."""
        rng = self._rng
        gender = {"M": "F", "F": "M"}.get(head.gender) or _GENDERS.pick(rng)
        shift = round(rng.gauss(2 if gender == "M" else -2, 3) * DAYS_PER_YEAR)
        birth = max(min(head.birth - shift, self._youngest_birth), self._oldest_birth)
        spouse = self._person(serial, gender, birth, head.sub_branch)
        spouse.marital = head.marital = "married"
        spouse.city = head.city
        if rng.random() < (0.06 if head.silver and spouse.silver else 0.015):
            spouse.phone = head.phone  # one handset for the household
        return spouse

    def _person(self, serial: int, gender: str, birth: int, sub_branch: SubBranch) -> Person:
        rng = self._rng
        age = int((self._today - birth) / DAYS_PER_YEAR)
        name, pinyin = self._names.draw(rng, gender, single_char_share=0.35 if age < 45 else 0.2)
        person = Person(
            serial=serial,
            customer_no=f"C{serial + 1:08d}",
            name=name,
            pinyin=pinyin,
            gender=gender,
            birth=birth,
            age=age,
            sub_branch=sub_branch,
            city=self._city(sub_branch),
            opened=self._opened(birth, age),
            occupation=_occupation(rng, age),
            marital=_marital(rng, age),
        )
        person.phone = self._phones.issue(rng, serial)
        person.id_card_no = self._resident_id(person)
        self._digital(person)
        recent = person.opened > years_ago(self._today, 5) and not person.silver
        person.join_channel = (_JOIN_NEW if recent else _JOIN_OLD).pick(rng)
        person.language = _LANGUAGES.pick(rng)
        return person

    def _city(self, sub_branch: SubBranch) -> str:
        if self._rng.random() < 0.93:
            return sub_branch.city
        return CITIES[int(self._rng.random() * len(CITIES))].name

    def _opened(self, birth: int, age: int) -> int:
        """Opening day over the last 15 years, never before 18; the young joined more recently."""
        adult_days = self.last_day - birth - round(ADULT_AGE * DAYS_PER_YEAR) - 2
        span = max(0, min(round(HISTORY_YEARS * DAYS_PER_YEAR), adult_days))
        skew = 2.0 if age < 35 else 0.9
        return self.last_day - int(span * self._rng.random() ** skew)

    def _resident_id(self, person: Person) -> str:
        rng = self._rng
        draw = rng.random()
        if draw < _REGION_LOCAL_DISTRICT:
            region = person.sub_branch.region_index
        elif draw < _REGION_LOCAL_PROVINCE:
            region = int(rng.random() * self._local_regions)
        else:
            region = self._local_regions + int(rng.random() * len(MIGRANT_REGION_CODES))
        male = person.gender == "M" or (person.gender == "U" and rng.random() < 0.5)
        return self._ids.issue(region, person.birth, male)

    def _digital(self, person: Person) -> None:
        rng = self._rng
        email_share, wechat_share, app_share = _DIGITAL_BY_AGE[person.age]
        if rng.random() < email_share:
            person.email = _email(rng, person)
        if rng.random() < wechat_share:
            person.openid = wechat_id(rng)
            person.unionid = wechat_id(rng) if rng.random() < 0.8 else ""
        person.app_user = rng.random() < app_share


def _occupation(rng: Random, age: int) -> str:
    if age >= SILVER_AGE:
        return _OCCUPATIONS_SILVER.pick(rng)
    return (_OCCUPATIONS_STUDENT if age < 23 else _OCCUPATIONS_WORKING).pick(rng)


def _marital(rng: Random, age: int) -> str:
    return _MARITAL_BY_AGE[age].pick(rng)


def _email(rng: Random, person: Person) -> str:
    domain = _EMAIL_DOMAINS.pick(rng)
    if domain == "qq.com" and rng.random() < 0.6:
        return f"{10_000_000 + int(rng.random() * 2_990_000_000)}@qq.com"
    suffix = date.fromordinal(person.birth).year if rng.random() < 0.4 else person.serial % 997
    separator = "." if rng.random() < 0.2 else ""
    return f"{person.pinyin}{separator}{suffix}@{domain}"
