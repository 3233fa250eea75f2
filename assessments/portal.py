"""What assessments contributes to the home page: the self-assessments a village must fill in, the
villages a township must review, the branch's submission board, the campaigns and the city's selection;
and the demo campaigns. Declared as data; portal collects it (see portal/registry.py)."""

from django.db.models import Case, Count, Q, Value, When
from django.urls import reverse

from access.roles import Cap, Side
from common.dates import cn_date
from indices.models import Grade
from villages.models import PartyBranch

from .demo import seed_demo_campaigns
from .models import Assessment, Campaign, Signoff


def _score(value):
    """4, 0.5, 97.5: as the pages write scores (the `score` filter), without trailing zeros."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _open_sheets(villages):
    """The village sheets still being filled, with what the home cards need counted in the same query."""
    open_states = [Assessment.Status.DRAFT, Assessment.Status.RETURNED]
    return (
        Assessment.objects.filter(
            village_id__in=villages, status__in=open_states, campaign__grades_confirmed_at__isnull=True
        )
        .select_related("campaign", "village")
        .annotate(
            unscored=Count(
                "scores",
                filter=Q(
                    scores__self_score__isnull=True, scores__indicator__scored_by="village_and_township"
                ),
                distinct=True,
            ),
            unanswered=Count("veto_checks", filter=Q(veto_checks__self_answer__isnull=True), distinct=True),
        )
    )


def _signed(assessments):
    """{assessment id: sides signed in the round being prepared} in one query."""
    rounds = Q()
    for a in assessments:
        rounds |= Q(assessment_id=a.pk, round=a.round + 1)
    signed = {}
    if assessments:
        for aid, side in Signoff.objects.filter(rounds).values_list("assessment_id", "side"):
            signed.setdefault(aid, set()).add(side)
    return signed


def self_assessment_pending(user, scope):
    items = []
    if villages := scope.held(Cap.CAMPAIGN_VIEW, "village"):
        mine = list(_open_sheets(villages))
        signed = _signed(mine)
        for a in mine:
            deadline = a.campaign.self_deadline
            due = f"，自评截止 {cn_date(deadline)}" if deadline else ""
            sides = scope.sides("assessment.village", a)
            name = f"{a.village.name}{a.campaign.year}年度自评"
            if Side.COMMITTEE not in sides and Side.SUPERVISOR in sides:
                items.extend(_supervisor_item(a, name, due, signed.get(a.pk, set())))
            elif a.status == Assessment.Status.RETURNED:
                items.append(
                    (
                        f"{name}已退回",
                        f"请按退回理由修改后重新提交{due}。",
                        reverse("assessments:assessment_detail", args=[a.pk]),
                    )
                )
            else:
                items.append(
                    (
                        f"填报{name}",
                        f"逐项自评、上传佐证和盖章申请表，两委与监委会签署后提交{due}。",
                        reverse("assessments:self_edit", args=[a.pk]),
                    )
                )
    return items


def _supervisor_item(a, name, due, signed):
    """The 监委会 member's card: 待您签署 once nothing but the signatures is missing from the sheet,
    jumping to the signing block (id="signoff" on the sheet); until then, how far the 两委 are."""
    if Signoff.Side.SUPERVISOR in signed:
        return
    url = reverse("assessments:self_edit", args=[a.pk])
    if a.unscored or a.unanswered:
        left = f"还有 {a.unscored} 项指标未自评" if a.unscored else f"负面清单还有 {a.unanswered} 项未作答"
        yield (
            f"{name}填报中",
            f"村“两委”正在填报（{left}）；填完后请核对并以村务监督委员会名义签署{due}。",
            url,
            {"button": "查看自评"},
        )
        return
    yield (
        f"待您签署：{name}",
        f"自评已填完，请核对各项得分和佐证后，以村务监督委员会名义签署意见{due}。",
        f"{url}#signoff",
        {"button": "去签署", "tone": "sign"},
    )


def village_result_cards(user, scope):
    """After the township confirms the grades, each of the user's villages sees its result first: the
    grade that stands (the city's decision for a candidate), the score, and the page with the reasons."""
    villages = scope.held(Cap.CAMPAIGN_VIEW, "village")
    if not villages:
        return
    newest = {}
    for a in (
        Assessment.objects.filter(
            village_id__in=villages,
            status=Assessment.Status.CONFIRMED,
            campaign__grades_confirmed_at__isnull=False,
        )
        .select_related("campaign", "village")
        # of a year's rounds, the annual one's result is the village's result of the year
        .order_by(
            "-campaign__year",
            Case(When(campaign__kind=Campaign.Kind.ANNUAL, then=Value(0)), default=Value(1)),
            "-pk",
        )
    ):
        newest.setdefault(a.village_id, a)
    if not newest:
        return
    names = {
        (sid, code): name
        for sid, code, name in Grade.objects.filter(
            standard_id__in={a.campaign.standard_id for a in newest.values()}
        ).values_list("standard_id", "code", "name")
    }
    for a in newest.values():
        grade = a.effective_grade
        shown = names.get((a.campaign.standard_id, grade), grade)
        city = "（市级认定）" if a.city_grade else ""
        yield (
            f"{a.village.name}{a.campaign.year}年度{'' if a.campaign.is_annual else a.campaign.get_kind_display()}定级结果",
            f"总分 {_score(a.final_score)} 分（自评 {_score(a.self_total)} 分）{city}。"
            "点击查看各项初审得分、加分认定和调整理由。",
            reverse("assessments:assessment_detail", args=[a.pk]) + "#review-result",
            {"button": "查看结果", "tone": "result", "figure": shown},
        )


def review_pending(user, scope):
    items = []
    reviewer_towns = scope.held(Cap.CAMPAIGN_MANAGE, "township")
    if reviewer_towns:
        waiting = (
            Assessment.objects.filter(township_id__in=reviewer_towns, campaign__level="village")
            .values("campaign_id", "campaign__name")
            .annotate(n=Count("id", filter=Q(status=Assessment.Status.FORWARDED)))
            .filter(n__gt=0)
        )
        for row in waiting:
            items.append(
                (
                    f"{row['n']} 个村待初审",
                    f"{row['campaign__name']}：各党总支已报镇街的村。",
                    reverse("assessments:campaign_detail", args=[row["campaign_id"]]) + "?status=forwarded",
                )
            )
    return items


def branch_board_cards(user, scope):
    if own := scope.held(Cap.CAMPAIGN_VIEW, "branch"):
        branches = list(PartyBranch.objects.filter(pk__in=own).select_related("township"))
        newest = {}
        for c in Campaign.objects.filter(
            level=Campaign.Level.VILLAGE, township_id__in={b.township_id for b in branches}
        ).order_by("-year", "-pk"):
            newest.setdefault(c.township_id, c)
        for branch in branches:
            campaign = newest.get(branch.township_id)
            if campaign is not None:
                yield (
                    f"本党总支报送：{branch.name}",
                    f"{campaign.year}年度：查看各村自评进度和未就绪原因，将已提交的村报送镇街。",
                    reverse("assessments:branch_board", args=[campaign.pk, branch.pk]),
                )


def campaign_cards(user, scope):
    if scope.can("campaign.view"):
        yield (
            "测评年度",
            "各年度“清廉村居”测评：时间安排、自评与报送进度。",
            reverse("assessments:campaign_list"),
        )


def city_board_cards(user, scope):
    if scope.can("city.select"):
        yield (
            "示范村市级评选",
            "各镇街报市的示范村候选村：认定为示范村，或认定为其他等次并说明理由。",
            reverse("assessments:city_board"),
        )


HOME_PENDING = [
    (10, self_assessment_pending),
    (30, review_pending),
]
HOME_CARDS = [
    (90, village_result_cards),
    (120, branch_board_cards),
    (160, campaign_cards),
    (210, city_board_cards),
]
DEMO = [
    (40, seed_demo_campaigns),
]
