"""The city's computed township indicators on the 初审 page: 重新计算, and 恢复系统计算 after an override."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from common.errors import ConflictError

from ...models import IndicatorScore
from ...services.common import WorkflowError
from ...services.computed import computed_override_clear, computed_scores_fill, needs_fill
from ...workflow import Side
from . import page
from .common import assessment_as, child_or_404


def fill_on_open(request, a):
    """The first time a reviewer opens a township's review, its computed indicators are filled."""
    if not needs_fill(a):
        return
    try:
        computed_scores_fill(assessment=a, actor=request.user, request=request)
    except WorkflowError:
        return  # shown as 未计算 with the 重新计算 button; the page itself still opens
    a.refresh_from_db()


@require_POST
def computed_fill(request, pk):
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    try:
        lines = computed_scores_fill(assessment=a, actor=request.user, request=request)
    except WorkflowError as exc:
        messages.error(request, "；".join(exc.problems))
    else:
        messages.success(request, f"已按最新数据重新计算 {len(lines)} 项系统计算指标。")
    return redirect(page.review_url(a.pk, page.posted_queue(request), "computed"))


@require_POST
def computed_restore(request, pk, score_pk):
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    s = child_or_404(request, a, IndicatorScore.objects.select_related("indicator"), score_pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        s = computed_override_clear(
            assessment=a, score=s, actor=request.user, expected_version=version, request=request
        )
    except ConflictError:
        messages.error(request, "该指标已被他人修改，请刷新后再试。")
    except WorkflowError as exc:
        messages.error(request, "；".join(exc.problems))
    else:
        messages.success(request, f"{s.indicator.code} 已恢复为系统计算分。")
    return redirect(page.review_url(a.pk, page.posted_queue(request), f"score-{s.pk}"))
