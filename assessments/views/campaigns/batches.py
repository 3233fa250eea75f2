"""A township's creation-batch plan (任务分解表, kept in villages) checked against the confirmed grades:
per planned year, how many of the batch's villages reached a grade that counts as 清廉村居. It lives here
because villages sits below assessments and cannot read the grades."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.checks import deny, require_cap
from access.roles import Cap
from access.scope import scope_for
from villages.selectors import township_get_for_user

from ...selectors import batch_results_for_township


@require_cap(Cap.CAMPAIGN_VIEW)
@require_GET
def batch_results(request, township_pk):
    township = township_get_for_user(request.user, township_pk)
    scope = scope_for(request.user)
    if not scope.reaches_township(Cap.CAMPAIGN_VIEW, township):
        deny(request, township, f"缺少权限 {Cap.CAMPAIGN_VIEW}")
    context = {
        "township": township,
        "rows": batch_results_for_township(township),
        "can_edit": scope.reaches_township(Cap.ORG_MANAGE, township),
    }
    return render(request, "assessments/batch_results.html", context)
