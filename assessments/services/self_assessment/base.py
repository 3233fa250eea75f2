"""Shared guards of the self-assessment writes: who may edit, the row lock, sign-off voiding."""

from django.core.files.storage import default_storage
from django.db import transaction

from common.text import check_text

from ... import workflow
from ...models import Assessment, Signoff
from ...permissions import actor_sides
from ...scoring import ScoreError
from ...workflow import Side
from ..common import WorkflowError, record_event
from ..transitions import self_window_open

FORM_FIELDS = (
    "secretary_name",
    "director_name",
    "supervisor_chair_name",
    "households",
    "population",
    "party_members",
    "committee_members",
    "collective_income",
    "applied_grade",
    "achievements",
    "problems",
)
ACHIEVEMENTS_MAX = 1500
PROBLEMS_MAX = 3000
NOTE_MAX = 2000
# Event actions written here: the village side may always see these in the history.
SELF_ACTIONS = frozenset(
    {
        "self_score",
        "bonus_claim",
        "bonus_claim_delete",
        "veto_self",
        "application_form",
        "evidence_upload",
        "evidence_delete",
        "signoff",
        "signoff_void",
    }
)


def cn_day(day):
    return f"{day.year}年{day.month}月{day.day}日"


def self_edit_problem(assessment, actor, sides=None):
    """Why `actor` may not edit the self-assessment now; '' when they may."""
    sides = actor_sides(actor, assessment) if sides is None else sides
    if Side.SELF not in sides:
        return "您没有填报该自评的权限，只能查看。"
    if assessment.status not in workflow.SELF_EDITABLE:
        return f"当前状态为“{assessment.get_status_display()}”，自评内容不能修改。"
    if not self_window_open(assessment):
        return f"自评截止日（{cn_day(assessment.campaign.self_deadline)}）已过，如需修改请联系镇纪委延期。"
    return ""


def lock_editable(assessment, actor):
    a = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("campaign__standard", "village", "township")
        .get(pk=assessment.pk)
    )
    problem = self_edit_problem(a, actor)
    if problem:
        raise WorkflowError(problem)
    return a


def clean_text(value, limit, label):
    """Typed text through common.text (NFKC, no format/control characters, CRLF as LF, stripped); the
    limit keeps this module's words."""
    value, reason = check_text(str(value or ""), max_length=None, multiline=True)
    if reason:
        raise WorkflowError(f"{label}{reason}")
    if len(value) > limit:
        raise WorkflowError(f"{label}不能超过 {limit:,} 字（现为 {len(value):,} 字）。")
    return value


def as_int(value, message):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ScoreError(message) from None


def void_signoffs(a, actor, request, what):
    """Signers confirm what is submitted: a change after signing voids this round's sign-offs."""
    rows = list(Signoff.objects.filter(assessment=a, round=a.round + 1).select_related("user"))
    if not rows:
        return
    Signoff.objects.filter(pk__in=[r.pk for r in rows]).delete()
    record_event(
        assessment=a,
        actor=actor,
        action="signoff_void",
        subject="签署失效",
        from_value="、".join(f"{r.get_side_display()}（{r.user.display_name}）" for r in rows),
        reason=f"签署后修改了{what}，须重新签署确认。",
        request=request,
    )


def delete_files_on_commit(names):
    """Files go only once the rows are gone for good (a rolled-back delete keeps its file)."""
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
