"""A 2026 campaign for 甲镇 (东村, 西村 in branch 1; 南村 in branch 2), its people, units and ledgers."""

import datetime as dt

import pytest

from accounts.models import Role
from assessments.models import Assessment
from assessments.services.campaigns import campaign_create
from ledgers.models import LedgerSubmission, Rectification
from tests.assessments.conftest import standard  # noqa: F401  (fixture)
from tests.factories import user_with_role

D = dt.date
SELF, SUBMISSION, CITY = D(2026, 6, 25), D(2026, 6, 30), D(2026, 7, 10)


def submitted_ledger(unit, year, month):
    return LedgerSubmission.objects.create(
        unit=unit,
        year=year,
        month=month,
        status=LedgerSubmission.Status.SUBMITTED,
        submitted_at=dt.datetime(year, month, 28, 10, 0, tzinfo=dt.UTC),
    )


def rectification(village, deadline, status=Rectification.Status.OPEN, problem="村务公开栏未按时更新"):
    return Rectification.objects.create(
        township=village.township,
        village=village,
        source=Rectification.Source.LEDGER,
        problem=problem,
        requirement="限期整改",
        deadline=deadline,
        status=status,
    )


@pytest.fixture
def world(org, standard):  # noqa: F811
    campaign = campaign_create(
        actor=None,
        township=org.town,
        year=2026,
        standard=standard,
        self_deadline=SELF,
        submission_deadline=SUBMISSION,
        city_deadline=CITY,
    )

    class World:
        pass

    w = World()
    w.org, w.campaign = org, campaign
    w.a = {a.village.name: a for a in Assessment.objects.filter(campaign=campaign).select_related("village")}
    w.users = {
        "cw_dong": user_with_role(
            Role.VILLAGE_COMMITTEE, org.village, username="cw_dong", email="cw_dong@example.invalid"
        ),
        "jw_dong": user_with_role(Role.VILLAGE_SUPERVISOR, org.village, username="jw_dong", email=""),
        "cw_xi": user_with_role(
            Role.VILLAGE_COMMITTEE, org.sibling, username="cw_xi", email="cw_xi@example.invalid"
        ),
        "cw_nan": user_with_role(
            Role.VILLAGE_COMMITTEE, org.cousin, username="cw_nan", email="cw_nan@example.invalid"
        ),
        "zz_1": user_with_role(
            Role.BRANCH_SECRETARY, org.branch, username="zz_1", email="zz_1@example.invalid"
        ),
        "zz_2": user_with_role(
            Role.BRANCH_SECRETARY, org.other_branch, username="zz_2", email="zz_2@example.invalid"
        ),
        "jiwei": user_with_role(
            Role.TOWNSHIP_REVIEWER, org.town, username="jiwei", email="jiwei@example.invalid"
        ),
        "leader": user_with_role(
            Role.TOWNSHIP_LEADER, org.town, username="leader", email="leader@example.invalid"
        ),
        "jgz": user_with_role(Role.UNIT_STAFF, org.unit, username="jgz", email="jgz@example.invalid"),
        "mzk": user_with_role(Role.UNIT_STAFF, org.other_unit, username="mzk", email="mzk@example.invalid"),
        "jiwei_yi": user_with_role(
            Role.TOWNSHIP_REVIEWER, org.other_town, username="jiwei_yi", email="jiwei_yi@example.invalid"
        ),
    }
    return w
