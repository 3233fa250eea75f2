import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import Membership, Role, User
from assessments.models import Campaign
from indices.models import IndexStandard
from portal.demo import seed_demo
from villages.models import AnnualTarget, CreationBatch, PartyBranch, ResponsibleUnit, Township, Village


def _counts():
    from assessments.models import Assessment, Campaign
    from ledgers.models import LedgerEntry, LedgerSubmission, Rectification

    models = (
        Township,
        PartyBranch,
        Village,
        ResponsibleUnit,
        AnnualTarget,
        CreationBatch,
        IndexStandard,
        User,
        Membership,
    )
    from feedback.models import Feedback
    from publication.models import Publication

    models += (Campaign, Assessment, LedgerSubmission, LedgerEntry, Rectification, Feedback, Publication)
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_models_the_two_townships():
    first = seed_demo()
    counts = _counts()
    second = seed_demo()
    assert _counts() == counts
    # the confirmed years are published, and villagers' messages sit on published cards only
    assert counts["Publication"] >= 2 and counts["Feedback"] > 0
    baogou = Township.objects.get(name="鲍沟镇")
    assert baogou.villages.count() == 66
    assert baogou.branches.count() == 8
    assert not baogou.villages.filter(branch__isnull=True).exists()
    assert baogou.units.count() == 7
    t2024 = AnnualTarget.objects.get(township=baogou, year=2024, kind="annual")
    assert [(g.grade_name, g.count) for g in t2024.grade_counts.all()] == [
        ("示范村", 7),
        ("达标村", 33),
        ("提升村", 13),
        ("促进村", 13),
    ]
    t2025 = AnnualTarget.objects.get(township=baogou, year=2025, kind="annual")
    assert t2025.cumulative and [g.count for g in t2025.grade_counts.all()] == [10, 43, 13]

    sanguan = Township.objects.get(name="三管镇")
    assert sorted(sanguan.villages.values_list("name", flat=True)) == sorted(
        [
            "东姚庄村",
            "李卓村",
            "新庄村",
            "三管村",
            "师家庄村",
            "梁家庄村",
            "陆喜营村",
            "王家庄村",
            "西姚村",
            "黄家庄村",
        ]
    )
    shares = {(t.year, t.kind): int(t.share_percent) for t in AnnualTarget.objects.filter(township=sanguan)}
    assert shares == {
        (2022, "annual"): 30,
        (2023, "annual"): 80,
        (2024, "annual"): 100,
        (2025, "annual"): 100,
        (2025, "midterm"): 30,  # the 中期评估 round's own target
    }
    midterm = Campaign.objects.get(township=sanguan, year=2025, kind="midterm")
    assert midterm.name == "三管镇2025年度“清廉村居”中期评估" and midterm.assessments.count() == 10
    for year, size in ((2022, 3), (2023, 5), (2024, 2)):
        batch = CreationBatch.objects.filter(township=sanguan, year=year)
        assert batch.count() == size
        assert batch.filter(is_benchmark=True).count() == 1

    yangzhuang = Township.objects.get(name="羊庄镇")
    assert yangzhuang.region == baogou.region and baogou.region.name == "滕州市"
    assert sanguan.region != baogou.region  # 三管镇 is 临猗县's: 滕州市's dashboard compares the other two
    assert yangzhuang.villages.count() == 50 and yangzhuang.branches.count() == 6
    assert not yangzhuang.villages.filter(branch__isnull=True).exists()
    targets = {
        t.year: [(g.grade_name, g.count) for g in t.grade_counts.all()]
        for t in AnnualTarget.objects.filter(township=yangzhuang, kind="annual")
    }
    assert targets == {
        2024: [("示范村", 5), ("达标村", 25), ("提升村", 10), ("促进村", 10)],
        2025: [("示范村", 8), ("达标村", 32), ("提升村", 10)],
    }

    assert set(IndexStandard.objects.values_list("level", flat=True)) == {"village", "township"}
    pilot = Campaign.objects.get(township=yangzhuang, year=2025, kind="pilot")
    assert pilot.is_confirmed and pilot.assessments.count() == 1
    assert AnnualTarget.objects.get(township=yangzhuang, year=2025, kind="pilot").share_percent == 100
    # 鲍沟镇 66 and 羊庄镇 50 villages, each in a 2024 and a 2025 annual round; 三管镇's 10 villages in
    # its 2025 中期评估, and 羊庄镇's one pilot community in its 2025 试点验收
    assert counts["Campaign"] == 6 and counts["Assessment"] == 2 * (66 + 50) + 10 + 1
    assert counts["Rectification"] > 0
    # One account per role, and the printed password is the one that works.
    assert {a.role for a in second} == set(Role)
    for account in second:
        user = User.objects.get(username=account.username)
        assert user.check_password(account.password)
        assert Membership.objects.filter(user=user, role=account.role).exists()
    assert [a.password for a in first] != [a.password for a in second]


@pytest.mark.django_db
def test_seed_demo_command_prints_every_account(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username in (
        "demo_village",
        "demo_supervisor",
        "demo_branch",
        "demo_unit",
        "demo_jiwei",
        "demo_leader",
        "demo_yangzhuang",
        "demo_sanguan",
        "demo_city",
        "demo_admin",
    ):
        assert username in out
    # every account is printed with its role and where it acts
    assert "demo_yangzhuang" in out and "镇纪委审核人员（羊庄镇）" in out
    assert "羊庄镇" in out.splitlines()[0]


@pytest.mark.django_db
def test_seed_demo_refuses_a_weak_shared_password():
    with pytest.raises(ValidationError):
        seed_demo(password="qinglian123")
    assert not User.objects.exists()


def test_demo_data_has_no_default_credentials():
    """AUTH-1: nothing in fixtures or migrations carries an admin/admin style password."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    texts = [
        p.read_text(encoding="utf-8") for d in ("fixtures",) for p in (root / d).rglob("*") if p.is_file()
    ]
    texts += [p.read_text(encoding="utf-8") for p in root.glob("*/migrations/*.py")]
    for text in texts:
        lowered = text.lower()
        for bad in ("admin/admin", "password: admin", "password=admin", "123456"):
            assert bad not in lowered
