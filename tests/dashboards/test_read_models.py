"""The read models kept on write equal a from-scratch recomputation by the old aggregate queries
(tests/dashboards/oracle.py) after every step of a long random sequence of service calls over two
years of one township, and `rebuild_read_models` changes nothing afterwards."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from assessments.models import Assessment, Campaign, CampaignSummary, IndicatorScore, VetoCheck
from assessments.readmodels import rebuild_read_models
from assessments.services import WorkflowError, assessment_transition
from assessments.services.campaigns import campaign_create
from assessments.services.grading import (
    campaign_confirm_grades,
    city_decide,
    grade_override,
    veto_event_record,
)
from assessments.services.review import score_save_review
from assessments.services.self_assessment import score_save_self
from common.errors import ApplicationError
from tests.assessments.conftest import fill_self, standard  # noqa: F401  (the sample village standard)
from tests.assessments.test_review import review_everything
from tests.dashboards import oracle
from tests.factories import user_with_role
from villages.models import Village

S = Assessment.Status
GRADES = ["SHIFAN", "DABIAO", "TISHENG", "CUJIN"]
REFUSED = (WorkflowError, ApplicationError, ValidationError)


def snapshot(campaign):
    """The stored read models of one campaign, shaped like the oracle's answers."""
    qs = Assessment.objects.filter(campaign=campaign, village__isnull=False)
    s = CampaignSummary.objects.get(campaign=campaign)
    return {
        "dimension_scores": {pk: d for pk, d in qs.values_list("pk", "dimension_scores") if d},
        "previous_grades": dict(qs.values_list("pk", "previous_grade")),
        "summary": {
            "total": s.total,
            "progress": {k: v for k, v in s.progress.items() if v},
            "grades": s.grades,
            "dimensions": s.dimensions,
            "score_total": Decimal(s.score_total).quantize(Decimal("0.01")),
            "scored": s.scored,
            "histogram": s.histogram,
            "yoy": s.yoy,
            "top": [pk for *_rest, pk in s.top][:10],
        },
    }


def expected(campaign):
    return {
        "dimension_scores": oracle.dimension_scores(campaign),
        "previous_grades": oracle.previous_grades(campaign),
        "summary": oracle.summary(campaign),
    }


class Town:
    """Two annual rounds (last year and this year) of 甲镇 with 8 villages, and one user per side."""

    def __init__(self, org, std, rng):
        self.rng = rng
        for i in range(5):
            Village.objects.create(
                township=org.town,
                branch=[org.branch, org.other_branch, None][i % 3],
                name=f"新村{i}",
                sort_order=i,
            )
        today = dt.date.today()
        deadlines = {
            "self_deadline": today + dt.timedelta(days=10),
            "submission_deadline": today + dt.timedelta(days=15),
            "city_deadline": today + dt.timedelta(days=25),
        }
        # last year's round first: this year's is created while last year's is still open, so its
        # comparison must follow every later change of last year's grades
        self.campaigns = [
            campaign_create(actor=None, township=org.town, year=y, standard=std, **deadlines)
            for y in (2024, 2025)
        ]
        self.reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rm_reviewer")
        self.city = user_with_role(Role.CITY_OFFICE, org.city, username="rm_city")
        self.committee, self.supervisor = {}, {}
        for v in Village.objects.filter(township=org.town):
            self.committee[v.pk] = user_with_role(Role.VILLAGE_COMMITTEE, v, username=f"rm_cw_{v.pk}")
            self.supervisor[v.pk] = user_with_role(Role.VILLAGE_SUPERVISOR, v, username=f"rm_jw_{v.pk}")

    def pick(self, *statuses, campaign=None):
        qs = Assessment.objects.filter(campaign__in=[campaign] if campaign else self.campaigns)
        if statuses:
            qs = qs.filter(status__in=statuses)
        rows = list(qs.order_by("pk"))
        return self.rng.choice(rows) if rows else None

    def half(self, high):
        return Decimal(self.rng.randint(0, int(high) * 2)) / 2

    # --- the actions, each one service call (or the few a user makes in a row) ------------------

    def self_score(self):
        a = self.pick(S.DRAFT, S.RETURNED)
        if a is None:
            return
        lines = list(
            IndicatorScore.objects.filter(
                assessment=a, indicator__scored_by="village_and_township"
            ).select_related("indicator")
        )
        s = self.rng.choice(lines)
        score_save_self(
            assessment=a,
            score=s,
            actor=self.committee[a.village_id],
            expected_version=s.version,
            value=self.half(s.indicator.max_score),
        )

    def submit(self):
        a = self.pick(S.DRAFT, S.RETURNED)
        if a is None:
            return
        if self.rng.random() < 0.5:
            fill_self(a, self.committee[a.village_id], self.supervisor[a.village_id], score="3")
        assessment_transition(
            assessment=a, action="submit", actor=self.committee[a.village_id], sides={"self"}
        )
        a.refresh_from_db()
        if a.status == S.SUBMITTED:
            assessment_transition(assessment=a, action="forward", actor=None, sides={"system"})

    def review_line(self):
        a = self.pick(S.FORWARDED, S.IN_REVIEW)
        if a is None:
            return
        s = self.rng.choice(list(IndicatorScore.objects.filter(assessment=a).select_related("indicator")))
        score_save_review(
            assessment=a,
            score=s,
            actor=self.reviewer,
            expected_version=s.version,
            value=self.half(s.indicator.max_score),
            reason="按实核定",
        )

    def complete(self):
        a = self.pick(S.FORWARDED, S.IN_REVIEW)
        if a is None:
            return
        review_everything(a, self.reviewer, value=self.rng.choice([None, "1", "2.5", "4"]))
        assessment_transition(assessment=a, action="complete_review", actor=self.reviewer)

    def send_back(self):
        a = self.pick(S.FORWARDED, S.IN_REVIEW)
        if a is not None:
            assessment_transition(assessment=a, action="return", actor=self.reviewer, reason="材料不全")

    def override(self):
        a = self.pick(S.REVIEWED)
        if a is not None:
            grade_override(
                assessment=a,
                actor=self.reviewer,
                grade_code=self.rng.choice(GRADES),
                reason="综合研判",
                expected_version=a.version,
            )

    def confirm(self):
        """Finish a round: every village reviewed, then the grades confirmed at once."""
        c = self.rng.choice(self.campaigns)
        for a in Assessment.objects.filter(campaign=c, status__in=[S.DRAFT, S.RETURNED]):
            score = self.rng.choice(["max", "max", "3"])  # full marks make 示范村 candidates for the city
            fill_self(a, self.committee[a.village_id], self.supervisor[a.village_id], score=score)
            assessment_transition(
                assessment=a, action="submit", actor=self.committee[a.village_id], sides={"self"}
            )
            a.refresh_from_db()
            if a.status == S.SUBMITTED:
                assessment_transition(assessment=a, action="forward", actor=None, sides={"system"})
        for a in Assessment.objects.filter(campaign=c, status__in=[S.FORWARDED, S.IN_REVIEW]):
            review_everything(a, self.reviewer, value=self.rng.choice([None, None, "2"]))
            assessment_transition(assessment=a, action="complete_review", actor=self.reviewer)
        campaign_confirm_grades(
            campaign=Campaign.objects.get(pk=c.pk), actor=self.reviewer, reason="按实际情况确认"
        )

    def decide(self):
        """The city decides on a pending 示范村 candidate: mostly another grade, which changes the grade
        that stands (and next year's comparison)."""
        pending = Assessment.objects.filter(
            campaign__in=self.campaigns, city_candidate=True, status=S.CONFIRMED, city_decision=""
        )
        a = self.rng.choice(list(pending.order_by("pk")) or [None])
        if a is None:
            return
        if self.rng.random() < 0.3:
            city_decide(assessment=a, actor=self.city, decision="confirmed", expected_version=a.version)
        else:
            city_decide(
                assessment=a,
                actor=self.city,
                decision="other",
                grade_code=self.rng.choice(GRADES[1:]),
                reason="特色不突出",
                expected_version=a.version,
            )

    def veto(self):
        a = self.pick(S.REVIEWED, S.CONFIRMED)
        if a is None:
            return
        item = VetoCheck.objects.filter(assessment=a).first().veto_item
        veto_event_record(
            assessment=a, actor=self.reviewer, veto_item=item, occurred_on=dt.date.today(), description="查实"
        )

    ACTIONS = (
        ("self_score", 6),
        ("submit", 4),
        ("review_line", 4),
        ("complete", 3),
        ("send_back", 1),
        ("override", 2),
        ("confirm", 1),
        ("decide", 3),
        ("veto", 1),
    )

    def step(self):
        names = [n for n, w in self.ACTIONS for _ in range(w)]
        name = self.rng.choice(names)
        try:
            getattr(self, name)()
        except REFUSED:
            pass  # a refused call writes nothing (each service is atomic); the check below holds
        return name


@pytest.mark.parametrize("seed", [1, 2])
def test_read_models_equal_a_recomputation_after_every_step_of_random_service_calls(org, standard, seed):  # noqa: F811
    town = Town(org, standard, random.Random(seed))
    done = []
    for _ in range(70):
        done.append(town.step())
        for c in town.campaigns:
            assert snapshot(c) == expected(c), (c.year, done)
    # the sequence reached the states the read models summarize
    states = set(Assessment.objects.filter(campaign__in=town.campaigns).values_list("status", flat=True))
    assert {S.DRAFT, S.REVIEWED} <= states or S.CONFIRMED in states, done
    assert any(v for v in oracle.previous_grades(town.campaigns[1]).values()), "last year's grades reached"
    assert Assessment.objects.exclude(city_grade="").exists(), "the city decided"
    before = [snapshot(c) for c in town.campaigns]
    assert rebuild_read_models(township_ids=[org.town.pk]) == 2
    assert [snapshot(c) for c in town.campaigns] == before


def test_rebuild_fills_read_models_of_rows_written_directly(org, standard):  # noqa: F811
    """Loaders write rows directly (the bench city, the demo): one rebuild brings every read model."""
    old = campaign_create(actor=None, township=org.town, year=2024, standard=standard)
    new = campaign_create(actor=None, township=org.town, year=2025, standard=standard)
    Assessment.objects.filter(campaign=old).update(
        status=S.CONFIRMED, final_grade="DABIAO", started_at=dt.datetime.now(dt.UTC)
    )
    Assessment.objects.filter(campaign=new).update(
        status=S.REVIEWED,
        final_grade="SHIFAN",
        final_score=Decimal("91.5"),
        started_at=dt.datetime.now(dt.UTC),
    )
    IndicatorScore.objects.filter(assessment__campaign=new).update(self_score=Decimal("1"))
    assert snapshot(new) != expected(new)
    rebuild_read_models()
    assert snapshot(new) == expected(new)
    assert snapshot(old) == expected(old)
    assert set(oracle.previous_grades(new).values()) == {"DABIAO"}


@pytest.mark.django_db(transaction=True)
def test_parallel_writes_in_one_round_leave_the_summary_equal_to_a_recomputation(org, standard):  # noqa: F811
    """Writes to different villages of one round at once end with the summary equal to a
    recomputation (each refresh locks the round's summary before reading, so that none computes from
    a snapshot that misses another's committed change; this run did not reproduce the race without
    the lock, so it guards the outcome, not the mechanism)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel writers need PostgreSQL")
    town = Town(org, standard, random.Random(5))
    campaign = town.campaigns[1]
    lines = [
        (a, IndicatorScore.objects.filter(assessment=a, indicator__scored_by="village_and_township").first())
        for a in Assessment.objects.filter(campaign=campaign).order_by("pk")
    ]
    barrier = threading.Barrier(len(lines))
    errors = []

    def save(a, line):
        try:
            barrier.wait()
            score_save_self(
                assessment=a,
                score=line,
                actor=town.committee[a.village_id],
                expected_version=line.version,
                value=Decimal("1.5"),
            )
        except Exception as e:
            errors.append(repr(e))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=pair) for pair in lines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert snapshot(campaign) == expected(campaign)
    assert len(snapshot(campaign)["dimension_scores"]) == len(lines)


@pytest.mark.django_db(transaction=True)
def test_the_rebuild_command_runs_outside_a_transaction_and_says_how_many_rounds(org, standard):  # noqa: F811
    """As the bench and operators run it: no surrounding transaction (each township is its own)."""
    from io import StringIO

    from django.core.management import call_command

    campaign = campaign_create(actor=None, township=org.town, year=2025, standard=standard)
    CampaignSummary.objects.all().delete()
    out = StringIO()
    call_command("rebuild_read_models", stdout=out)
    assert "已重新计算1个测评轮次的汇总数据" in out.getvalue()
    assert snapshot(campaign) == expected(campaign)
