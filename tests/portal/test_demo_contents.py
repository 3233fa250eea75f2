"""What the seeded demo holds: real evidence files, version names for users, a 2025 that no missing
account can block, ledgers, tasks and rectifications for every demo year, two 滕州 townships on the
city dashboard. Seeded once for the module (rolled back at its end)."""

import io
import re
from collections import Counter

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Membership, User
from assessments.models import Assessment, Campaign, Evidence
from assessments.services.grading import grading_summary
from dashboards.figures.city import city_dashboard
from dashboards.figures.township import township_dashboard
from indices.models import IndexStandard
from ledgers.compliance import State, compliance_matrix
from ledgers.demo import demo_years
from ledgers.models import PlanTask, Rectification, TaskProgress
from portal.demo import seed_demo
from villages.models import Township

S = Assessment.Status


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        accounts = seed_demo(password="Demo-Contents-2025")
        yield {a.username: User.objects.get(username=a.username) for a in accounts}
        transaction.set_rollback(True)


def _town(name):
    return Township.objects.get(name=name)


@pytest.mark.django_db
def test_every_demo_evidence_file_is_a_real_one_page_pdf_matching_its_recorded_hash(demo):
    import hashlib

    evidence = list(Evidence.objects.all())
    # 231 in the annual rounds, 10 in 三管镇's 中期评估 and 1 in 羊庄镇's 试点验收
    assert Counter(e.kind for e in evidence) == {"application_form": 231 + 10 + 1, "bonus": 42}
    seen = set()
    for e in evidence:
        with e.file.open("rb") as fh:
            content = fh.read()
        assert len(content) == e.size and hashlib.sha256(content).hexdigest() == e.sha256
        if e.sha256 in seen:
            continue  # the same document stored again: read back once
        seen.add(e.sha256)
        reader = PdfReader(io.BytesIO(content))
        assert len(reader.pages) == 1, e.original_name
        text = reader.pages[0].extract_text()
        assert "演示" in text and ("申请表" in text or "加分依据材料" in text)
    assert len(seen) == 3  # one 申请表 and one certificate per bonus item used
    # every assessment past the village's submission has its stamped 申请表
    submitted = Assessment.objects.exclude(status=S.DRAFT)
    assert not submitted.exclude(evidence__kind="application_form").exists()


@pytest.mark.django_db
def test_the_demo_standards_carry_version_names_written_for_users(demo):
    versions = set(IndexStandard.objects.values_list("year", "version"))
    assert versions == {(2024, "2024年版"), (2025, "2025年版")}
    for year, version in versions:
        assert re.fullmatch(rf"{year}年版", version)


@pytest.mark.django_db
def test_in_2025_no_village_waits_on_an_account_the_demo_does_not_have(demo):
    demo_village = Membership.objects.get(user=demo["demo_village"]).village
    demo_branch = Membership.objects.get(user=demo["demo_branch"]).branch
    annual = Assessment.objects.filter(campaign__kind="annual")
    baogou = annual.filter(campaign__year=2025, township__name="鲍沟镇").select_related("village")
    states = Counter(a.status for a in baogou)
    assert states == {S.DRAFT: 1, S.SUBMITTED: 2, S.FORWARDED: 2, S.IN_REVIEW: 1, S.REVIEWED: 60}
    # the only draft is the demo accounts' village; the only submissions wait for demo_branch
    assert baogou.get(status=S.DRAFT).village == demo_village
    assert {a.village.branch for a in baogou if a.status == S.SUBMITTED} == {demo_branch}
    # 羊庄镇's queue needs only its reviewer (demo_yangzhuang)
    yangzhuang = Counter(
        annual.filter(campaign__year=2025, township__name="羊庄镇").values_list("status", flat=True)
    )
    assert yangzhuang == {S.FORWARDED: 4, S.IN_REVIEW: 2, S.REVIEWED: 44}
    # the other rounds of 2025 wait on no village either: 羊庄镇's 试点验收 is confirmed, 三管镇's
    # 中期评估 waits only on its reviewer (demo_sanguan)
    others = Counter(
        Assessment.objects.exclude(campaign__kind="annual").values_list("campaign__kind", "status")
    )
    assert set(others) <= {("pilot", S.CONFIRMED), ("midterm", S.REVIEWED), ("midterm", S.FORWARDED)}
    assert others["pilot", S.CONFIRMED] == 1
    assert Membership.objects.filter(user=demo["demo_yangzhuang"], township__name="羊庄镇").exists()


@pytest.mark.django_db
def test_confirmed_ledger_deductions_leave_2024_on_the_plans_distribution(demo):
    for name, counts, candidates in (("鲍沟镇", [7, 33, 13, 13], 7), ("羊庄镇", [5, 25, 10, 10], 5)):
        campaign = Campaign.objects.get(township__name=name, year=2024)
        summary = grading_summary(campaign)
        assert [r.count for r in summary.rows] == counts
        assert campaign.assessments.filter(city_candidate=True).count() == candidates
        assert campaign.assessments.filter(supervision_deduction__gt=0).exists()
        assert not campaign.assessments.filter(supervision_deduction__gt=1).exists()


@pytest.mark.django_db
def test_every_township_has_ledgers_tasks_and_progress_for_every_demo_year(demo):
    today = timezone.localdate()
    years = demo_years(today)
    assert {2024, 2025, today.year} <= set(years)
    for name in ("鲍沟镇", "羊庄镇", "三管镇"):
        township = _town(name)
        for year in years:
            totals = compliance_matrix(units=township.units.select_related("township"), year=year).totals
            reported = totals[State.ON_TIME] + totals[State.ZERO]
            assert reported > totals[State.LATE] + totals[State.MISSING], (name, year, totals)
            tasks = PlanTask.objects.filter(township=township, year=year)
            assert tasks.count() == 8
            assert TaskProgress.objects.filter(task__in=tasks).exists()
        matrix = compliance_matrix(units=township.units.select_related("township"), year=2025)
        totals = matrix.totals
        assert totals[State.ZERO] and totals[State.LATE] and totals[State.MISSING], (name, totals)
        assert not totals[State.NOT_DUE]  # every month of 2025 is due by now
        # the page's three-year history has no year of nothing but 未报
        assert [y for y, _ in matrix.history] == [2025, 2024, 2023]
        for year, counts in matrix.history:
            assert counts[State.ON_TIME] + counts[State.ZERO] > counts[State.MISSING], (name, year, counts)


@pytest.mark.django_db
def test_rectifications_are_in_every_state_and_from_every_source(demo):
    for name in ("鲍沟镇", "羊庄镇"):
        items = Rectification.objects.filter(township__name=name)
        assert set(items.values_list("status", flat=True)) == set(Rectification.Status.values)
        assert set(items.values_list("source", flat=True)) == set(Rectification.Source.values)
        overdue = items.exclude(status=Rectification.Status.CLOSED).filter(deadline__lt=timezone.localdate())
        assert overdue.exists(), name
        for item in items.filter(status=Rectification.Status.CLOSED)[:5]:
            assert [e.action for e in item.events.all()] == ["create", "respond", "accept"]


@pytest.mark.django_db
def test_the_city_dashboard_compares_two_townships_with_ledgers_and_tasks(demo, client):
    region = _town("鲍沟镇").region
    d = city_dashboard(user=demo["demo_city"], region=region, year=2025)
    rows = {row.township.name: row for row in d.towns}
    assert set(rows) == {"鲍沟镇", "羊庄镇"}
    assert (rows["鲍沟镇"].total, rows["羊庄镇"].total) == (66, 50)
    for row in rows.values():
        assert row.compliance[State.ON_TIME] > row.compliance[State.MISSING] > 0
        assert row.tasks["total"] == 8 and row.tasks["done"] and row.tasks["overdue"]
        assert row.rectifications["total"] and row.avg_score
    client.force_login(demo["demo_city"])
    page = client.get(reverse("dashboards:city", args=[region.pk, 2025]))
    assert page.status_code == 200
    assert "羊庄镇" in page.content.decode() and "鲍沟镇" in page.content.decode()


@pytest.mark.django_db
def test_the_township_dashboard_shows_2025_ledgers_tasks_and_rectifications(demo, client):
    baogou = _town("鲍沟镇")
    d = township_dashboard(user=demo["demo_leader"], township=baogou, year=2025)
    assert d.compliance_units == 7
    totals = d.compliance.totals  # mostly on time, some late, a few missing
    assert totals[State.ON_TIME] + totals[State.ZERO] > 5 * totals[State.LATE] > 0
    assert totals[State.LATE] + totals[State.ZERO] > totals[State.MISSING] > 0
    assert (
        d.tasks["total"] == 8 and d.tasks["done"] == 5 and d.tasks["ongoing"] == 2 and d.tasks["overdue"] == 1
    )
    assert d.rectifications["open"] and d.rectifications["responded"] and d.rectifications["closed"]
    assert d.summary.reviewed == 60
    for username in ("demo_leader", "demo_jiwei"):
        client.force_login(demo[username])
        page = client.get(reverse("dashboards:township", args=[baogou.pk, 2025]))
        assert page.status_code == 200


@pytest.mark.django_db
def test_the_readme_lists_every_demo_account_with_its_role_and_the_demo_village(demo):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### 角色与演示账户") : readme.index("## 常用命令")]
    rows = dict(re.findall(r"^\| `(demo_\w+)` \| ([^|]+) \|", section, flags=re.M))
    assert set(rows) == set(demo)
    for username, user in demo.items():
        role = Membership.objects.get(user=user).get_role_display()
        assert rows[username].strip() == role, username
    village = Membership.objects.get(user=demo["demo_village"]).village.name
    assert f"首页点“填报{village}2025年度自评”" in section
    # the measured step counts (tests/browser/test_phone_sheet.py, test_review_queue.py) are written in
    assert "步数（由浏览器测试实测并断言上限）" in section and "待补" not in section


@pytest.mark.django_db
def test_the_seed_plans_are_imported_as_written_with_progress(demo):
    from ledgers.models import PlanSubTask

    sanguan = PlanTask.objects.filter(township=_town("三管镇"), year=2022).order_by("number")
    assert sanguan.count() == 15
    first = sanguan.first()
    assert (first.key_point, first.task, first.units_text, first.deadline_text) == (
        "健全治理体系",
        "加强软弱涣散村（社区）党组织整顿提升",
        "组织",
        "9月底前完成整顿验收",
    )
    twelfth = sanguan.get(number=12)  # "组织\n民政\n农业农村、经管": the demo's 农业农村经管 once
    assert sorted(u.name for u in twelfth.units.all()) == ["农业农村经管", "民政", "组织"]
    baogou = _town("鲍沟镇")
    plan = PlanTask.objects.filter(township=baogou, year=2023)
    assert plan.count() == 12
    assert plan.get(number=4).lead_text == "镇纪检办、镇党建办（组织）"
    villages = baogou.villages.filter(is_active=True).count()
    assert PlanSubTask.objects.filter(task__in=plan).count() == 12 * villages
    assert TaskProgress.objects.filter(task__in=plan, subtask__isnull=False).exists()
    assert TaskProgress.objects.filter(task__in=sanguan, unit__isnull=False).exists()
