"""The party-branch board: the branch's villages in one campaign, why each is not ready yet, and the
batch forward of the ready ones to the township (DOMAIN.md: submitted per 党总支).

The "why" repeats the submit guards of `services.transitions.guard_problems` with the same wording, but
from aggregate annotations (one query for the page, not one per village); a test holds the two equal.
"""

from django.contrib import messages
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from access.checks import deny, require_cap
from access.roles import Cap, Side
from access.scope import scope_for
from audit.services import audit_log
from common.dates import cn_date
from villages.selectors import branch_list_for_user, township_is_wide_for_user

from ... import workflow
from ...estimates import self_estimates
from ...models import Assessment, AssessmentEvent, Campaign, Evidence, IndicatorScore, Signoff, VetoCheck
from ...selectors import assessment_list_for_user, campaign_get_for_user
from ...services import WorkflowError
from ...services.campaigns import SENT, RepeatedForwardError
from ...services.campaigns import branch_forward as forward_batch
from ...services.transitions import self_window_open

S = Assessment.Status
RETURNED_BY = {"return": "镇街退回", "branch_return": "党总支退回"}
FORM_MISSING = "请上传加盖村“两委”公章的《“清廉村居”建设申请表》扫描件。"


def _board_access(request, pk, branch_pk):
    """(campaign, branch, may_act): the branch's secretary acts; township-wide roles (reviewer, leader,
    city office, admin) look; everyone else gets the 404 of a missing page."""
    user = request.user
    campaign = campaign_get_for_user(user, pk)
    if campaign.level != Campaign.Level.VILLAGE:
        raise Http404
    branch = branch_list_for_user(user).filter(pk=branch_pk, township_id=campaign.township_id).first()
    if branch is None:
        raise Http404
    own = Side.BRANCH in scope_for(user).sides("branch", branch)
    if not own and not township_is_wide_for_user(user, campaign.township):
        deny(request, branch, "非本党总支，不能查看报送页")
    return campaign, branch, own


def _count(queryset):
    sub = queryset.order_by().values("assessment").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def board_rows(user, campaign, branch):
    """The branch's assessments with what the submit guards need, aggregated in SQL."""
    mine = {"assessment": OuterRef("pk")}
    scores = IndicatorScore.objects.filter(**mine)
    returns = AssessmentEvent.objects.filter(**mine, action__in=list(RETURNED_BY)).order_by("-at", "-id")

    def signed(side):
        return Exists(Signoff.objects.filter(**mine, side=side, round=OuterRef("round") + 1))

    return (
        assessment_list_for_user(user)
        .filter(campaign=campaign, village__branch_id=branch.pk)
        .annotate(
            missing_count=_count(
                scores.filter(self_score__isnull=True, indicator__scored_by="village_and_township")
            ),
            filled_count=_count(scores.filter(self_score__isnull=False)),
            unanswered_count=_count(VetoCheck.objects.filter(**mine, self_answer__isnull=True)),
            has_form=Exists(Evidence.objects.filter(**mine, kind=Evidence.Kind.APPLICATION_FORM)),
            signed_committee=signed(Signoff.Side.COMMITTEE),
            signed_supervisor=signed(Signoff.Side.SUPERVISOR),
            return_action=Subquery(returns.values("action")[:1]),
            return_reason=Subquery(returns.values("reason")[:1]),
        )
        .order_by("village__sort_order", "village__name", "pk")
    )


def _missing_codes(assessment_ids):
    """{assessment id: [indicator codes not self-scored]} for the page, in the standard's order."""
    codes = {}
    rows = (
        IndicatorScore.objects.filter(
            assessment_id__in=assessment_ids,
            self_score__isnull=True,
            indicator__scored_by="village_and_township",
        )
        .order_by("assessment_id", "indicator__dimension__sort_order", "indicator__sort_order")
        .values_list("assessment_id", "indicator__code")
    )
    for assessment_id, code in rows:
        codes.setdefault(assessment_id, []).append(code)
    return codes


def submit_problems(a, codes, now=None):
    """What stops the village from submitting, worded as guard_problems words it."""
    campaign = a.campaign
    problems = []
    if not self_window_open(a, now):
        problems.append(f"自评截止日（{cn_date(campaign.self_deadline)}）已过，如需修改请联系镇纪委延期。")
    if a.missing_count:
        shown = "、".join(codes[:10]) + ("等" if a.missing_count > 10 else "")
        problems.append(f"还有 {a.missing_count} 项指标未自评：{shown}。")
    if a.unanswered_count:
        problems.append(f"负面清单自查还有 {a.unanswered_count} 项未作答。")
    if not a.has_form:
        problems.append(FORM_MISSING)
    for side, done in (
        (Signoff.Side.COMMITTEE, a.signed_committee),
        (Signoff.Side.SUPERVISOR, a.signed_supervisor),
    ):
        if not done:
            problems.append(f"本轮提交尚须{side.label}成员签署确认。")
    return problems


def _state(a):
    if a.status == S.RETURNED:
        return "已退回"
    if a.round == 0 and not a.filled_count and not a.has_form:
        return "未开始"
    return "填报中"


@require_cap(Cap.CAMPAIGN_VIEW)
@require_GET
def branch_board(request, pk, branch_pk):
    campaign, branch, own = _board_access(request, pk, branch_pk)
    rows = list(board_rows(request.user, campaign, branch))
    pending = [a for a in rows if a.status in (S.DRAFT, S.RETURNED)]
    codes = _missing_codes([a.pk for a in pending if a.missing_count])
    now = timezone.now()
    for a in pending:
        a.state = _state(a)
        a.reasons = submit_problems(a, codes.get(a.pk, []), now)
        if a.status == S.RETURNED:
            a.returned_by = RETURNED_BY.get(a.return_action, "退回")
    ready = [a for a in rows if a.status == S.SUBMITTED]
    for a in ready:
        a.campaign = campaign
    # what the submitted sheets would reach by their own scores (预估, never a grade)
    self_estimates(ready, {campaign.standard_id: list(campaign.standard.grades.order_by("rank"))})
    context = {
        "campaign": campaign,
        "branch": branch,
        "own": own,
        "ready": ready,
        "pending": pending,
        "sent": [a for a in rows if a.status in SENT],
        "total": len(rows),
        "forward": workflow.get("forward"),
        "branch_return": workflow.get("branch_return"),
    }
    return render(request, "assessments/branch_board.html", context)


@require_cap(Cap.CAMPAIGN_VIEW)
@require_POST
def branch_forward(request, pk, branch_pk):
    campaign, branch, own = _board_access(request, pk, branch_pk)
    if not own:
        deny(request, branch, "非本党总支书记，不能报送")
    ids = request.POST.getlist("assessment")
    try:
        forwarded = forward_batch(
            campaign=campaign, branch=branch, assessment_ids=ids, actor=request.user, request=request
        )
    except RepeatedForwardError as e:
        messages.warning(request, e.problems[0])
    except WorkflowError as e:
        audit_log(
            action="branch.forward",
            request=request,
            result="failure",
            obj=branch,
            township_id=branch.township_id,
            message=f"{branch.name}报送被拒绝：{'；'.join(e.problems)}",
            detail={"campaign": campaign.pk, "ids": ids[:200]},
        )
        messages.error(request, f"未报送，本批没有任何村被报送：{'；'.join(e.problems)}")
    else:
        names = "、".join(a.village.name for a in forwarded)
        messages.success(request, f"已向镇街报送 {len(forwarded)} 个村：{names}。")
    return redirect("assessments:branch_board", pk=campaign.pk, branch_pk=branch.pk)
