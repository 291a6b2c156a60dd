"""The bank's organisation tree (总行 → 分行 → 支行 → team) and its staff.

Branches are the province's cities in order of the bank's presence; sub-branches are the cities' districts,
allocated to branches by the D'Hondt rule over city weights (every branch gets at least three). The number of
sub-branches grows mildly with the customer base; RMs are sized to about one per 450 customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from huoke.demo.identifiers import MobileNumbers
from huoke.demo.names import NameBook
from huoke.demo.places import BANK_NAME, CITIES, City, all_region_codes
from huoke.demo.sampling import Weighted

MIN_BRANCHES = 6
MIN_SUB_BRANCHES = 30
MIN_SUB_BRANCHES_PER_BRANCH = 3
CUSTOMERS_PER_RM = 450
MIN_RMS_PER_SUB_BRANCH = 3
STAFF_PHONE_SHARE = 0.9
_TEAM_NAMES = ("财富管理团队", "个人信贷团队")


@dataclass(frozen=True, slots=True)
class OrgUnit:
    code: str
    name: str
    parent_code: str
    level: str


@dataclass(frozen=True, slots=True)
class StaffMember:
    staff_no: str
    name: str
    org_code: str
    role: str
    phone: str


@dataclass(frozen=True, slots=True)
class SubBranch:
    """What a customer needs from their sub-branch."""

    code: str
    city: str
    region_index: int  # index into places.all_region_codes(): the district of the sub-branch
    rm_staff_nos: tuple[str, ...]


@dataclass(frozen=True)
class OrgChart:
    units: tuple[OrgUnit, ...]
    staff: tuple[StaffMember, ...]
    sub_branches: Weighted[SubBranch]  # weighted by each sub-branch's share of customers


@dataclass(frozen=True, slots=True)
class _SubBranchPlan:
    unit: OrgUnit
    city: City
    region_index: int
    share: float
    teams: tuple[OrgUnit, ...]


def plan_sizes(customers: int) -> tuple[int, int]:
    """(branches, sub-branches) for a customer base: 6 and 30 at least, growing mildly."""
    branches = min(len(CITIES), MIN_BRANCHES + customers // 200_000)
    available = sum(len(city.districts) for city in CITIES[:branches])
    return branches, min(available, max(MIN_SUB_BRANCHES, MIN_SUB_BRANCHES + customers // 50_000))


def allocate_sub_branches(cities: tuple[City, ...], total: int) -> list[int]:
    """Sub-branches per city by D'Hondt over city weights, at least three each, at most one per district."""
    counts = [min(MIN_SUB_BRANCHES_PER_BRANCH, len(city.districts)) for city in cities]
    while sum(counts) < total:
        open_cities = [i for i, city in enumerate(cities) if counts[i] < len(city.districts)]
        best = max(open_cities, key=lambda i: cities[i].weight / (counts[i] + 1))
        counts[best] += 1
    return counts


def build_org_chart(rng: Random, *, customers: int, names: NameBook, phones: MobileNumbers) -> OrgChart:
    """The org units and staff of the bank, and each sub-branch's RMs and customer share."""
    branch_count, sub_branch_total = plan_sizes(customers)
    cities = CITIES[:branch_count]
    head = OrgUnit("HO", f"{BANK_NAME}总行", "", "head_office")
    units = [head]
    plans: list[_SubBranchPlan] = []
    for b, (city, count) in enumerate(zip(cities, allocate_sub_branches(cities, sub_branch_total), strict=True)):
        branch = OrgUnit(f"BR{b + 1:02d}", f"{city.short_name}分行", head.code, "branch")
        units.append(branch)
        for s in range(count):
            plan = _plan_sub_branch(rng, branch, city, s, count)
            units.extend((plan.unit, *plan.teams))
            plans.append(plan)
    staffing = _Staffing(rng, names, phones, phone_serial_base=customers)
    staffing.head_office(head.code, [u.code for u in units if u.level == "branch"])
    total_share = sum(plan.share for plan in plans)
    sub_branches = [staffing.sub_branch(plan, customers * plan.share / total_share) for plan in plans]
    weighted = Weighted(zip(sub_branches, (plan.share for plan in plans), strict=True))
    return OrgChart(tuple(units), tuple(staffing.members), weighted)


def _plan_sub_branch(rng: Random, branch: OrgUnit, city: City, index: int, count: int) -> _SubBranchPlan:
    district = city.districts[index]
    code = f"SB{branch.code[2:]}{index + 1:02d}"
    unit = OrgUnit(code, f"{city.short_name}{district.short_name}支行", branch.code, "sub_branch")
    team_count = 2 if rng.random() < 0.5 else 1
    teams = tuple(
        OrgUnit(f"TM{code[2:]}{t + 1:02d}", f"{unit.name}{_TEAM_NAMES[t]}", code, "team") for t in range(team_count)
    )
    region_index = all_region_codes().index(district.region_code)
    share = city.weight / count * (0.6 + 0.8 * rng.random())
    return _SubBranchPlan(unit, city, region_index, share, teams)


class _Staffing:
    """Hands out staff numbers S000001… and creates staff members with names and phones."""

    def __init__(self, rng: Random, names: NameBook, phones: MobileNumbers, *, phone_serial_base: int) -> None:
        self._rng = rng
        self._names = names
        self._phones = phones
        self._phone_serial_base = phone_serial_base
        self.members: list[StaffMember] = []

    def hire(self, org_code: str, role: str) -> str:
        gender = "M" if self._rng.random() < 0.5 else "F"
        name, _ = self._names.draw(self._rng, gender)
        serial = len(self.members)
        phone = ""
        if self._rng.random() < STAFF_PHONE_SHARE:
            phone = self._phones.issue(self._rng, self._phone_serial_base + serial)
        staff_no = f"S{serial + 1:06d}"
        self.members.append(StaffMember(staff_no, name, org_code, role, phone))
        return staff_no

    def head_office(self, code: str, branch_codes: list[str]) -> None:
        for role, count in (("manager", 3), ("marketer", 8), ("other", 2)):
            for _ in range(count):
                self.hire(code, role)
        for branch_code in branch_codes:
            self.hire(branch_code, "manager")
            self.hire(branch_code, "marketer")

    def sub_branch(self, plan: _SubBranchPlan, expected_customers: float) -> SubBranch:
        code = plan.unit.code
        self.hire(code, "manager")
        for _ in range(2 + int(self._rng.random() * 3)):
            self.hire(code, "teller")
        rm_count = max(MIN_RMS_PER_SUB_BRANCH, round(expected_customers / CUSTOMERS_PER_RM))
        rms = []
        for r in range(rm_count):
            # Four in ten RMs sit in one of the sub-branch's teams; the rest report to the sub-branch.
            org_code = plan.teams[r % len(plan.teams)].code if self._rng.random() < 0.4 else code
            rms.append(self.hire(org_code, "rm"))
        return SubBranch(code, plan.city.name, plan.region_index, tuple(rms))
