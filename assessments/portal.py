"""What assessments contributes to the home page: the self-assessments a village must fill in, the
villages a township must review, the branch's submission board, the campaigns and the city's selection;
and the demo campaigns. Declared as data; portal collects it (see portal/registry.py)."""

from django.db.models import Count, Q
from django.urls import reverse

from access.roles import Cap
from villages.models import PartyBranch

from .demo import seed_demo_campaigns
from .models import Assessment, Campaign


def self_assessment_pending(user, scope):
    items = []
    if villages := scope.held(Cap.CAMPAIGN_VIEW, "village"):
        open_states = [Assessment.Status.DRAFT, Assessment.Status.RETURNED]
        mine = Assessment.objects.filter(
            village_id__in=villages,
            status__in=open_states,
            campaign__grades_confirmed_at__isnull=True,
        ).select_related("campaign", "village")
        for a in mine:
            deadline = a.campaign.self_deadline
            due = f"，自评截止 {deadline.year}年{deadline.month}月{deadline.day}日" if deadline else ""
            if a.status == Assessment.Status.RETURNED:
                items.append(
                    (
                        f"{a.village.name}{a.campaign.year}年度自评已退回",
                        f"请按退回理由修改后重新提交{due}。",
                        reverse("assessments:assessment_detail", args=[a.pk]),
                    )
                )
            else:
                items.append(
                    (
                        f"填报{a.village.name}{a.campaign.year}年度自评",
                        f"逐项自评、上传佐证和盖章申请表，两委与监委会签署后提交{due}。",
                        reverse("assessments:self_edit", args=[a.pk]),
                    )
                )
    return items


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
    (120, branch_board_cards),
    (160, campaign_cards),
    (210, city_board_cards),
]
DEMO = [
    (40, seed_demo_campaigns),
]
