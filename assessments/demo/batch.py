"""One campaign's demo writes (scores, paperwork, states with their history), collected and made in a few
bulk statements so that seeding stays fast; the totals are then recomputed by the service."""

from django.core.files.base import ContentFile
from django.utils import timezone

from ..models import Assessment, AssessmentEvent, BonusClaim, Evidence, IndicatorScore, Signoff, VetoCheck
from ..services.totals import assessment_recompute
from .files import application_form_pdf, bonus_evidence_pdf
from .scores import HALF, ordered_scores, score_rows

S = Assessment.Status
# The path each state took, as history rows: (action, label, from, to).
STEPS = [
    ("submit", "提交自评", S.DRAFT, S.SUBMITTED),
    ("forward", "报送镇街", S.SUBMITTED, S.FORWARDED),
    ("start_review", "开始初审", S.FORWARDED, S.IN_REVIEW),
    ("complete_review", "完成初审", S.IN_REVIEW, S.REVIEWED),
    ("confirm_grade", "确认定级", S.REVIEWED, S.CONFIRMED),
]
PATH = [S.DRAFT, S.SUBMITTED, S.FORWARDED, S.IN_REVIEW, S.REVIEWED, S.CONFIRMED]


def store(assessment, kind, demo_file, original_name, uploader, *, claim=None):
    evidence = Evidence(
        assessment=assessment,
        kind=kind,
        bonus_claim=claim,
        original_name=original_name,
        content_type="application/pdf",
        size=demo_file.size,
        sha256=demo_file.sha256,
        uploaded_by=uploader,
        round=1,
    )
    evidence.file.save(f"{evidence.pk}.pdf", ContentFile(demo_file.content), save=False)
    return evidence


def history(assessment, status, *, round_=1, note=""):
    """Unsaved event rows for the steps that lead to `status` (a return carries `note` as its reason)."""
    if status == S.RETURNED:
        steps = [*STEPS[:3], ("return", "退回修改", S.IN_REVIEW, S.RETURNED)]
    else:
        steps = STEPS[: PATH.index(status)] if status in PATH else []
    events = [
        AssessmentEvent(
            assessment=assessment,
            action=action,
            subject=label,
            from_value=S(source).label,
            to_value=S(target).label,
            reason=note if action == "return" else "",
            round=round_,
        )
        for action, label, source, target in steps
    ]
    if note and status != S.RETURNED:
        events.append(
            AssessmentEvent(
                assessment=assessment, action="demo", subject="演示数据", reason=note, round=round_
            )
        )
    return events


def stamps(status):
    """The time stamps an assessment in `status` has."""
    now = timezone.now()
    values = {"started_at": now}
    if status == S.RETURNED or PATH.index(status) >= PATH.index(S.SUBMITTED):
        values.update(submitted_at=now, forwarded_at=now)
    if status in (S.REVIEWED, S.CONFIRMED):
        values["reviewed_at"] = now
    return values


def set_state(assessment, status, *, round_=1, note=""):
    """Put one assessment in `status` with the history of the steps that lead there, and recompute."""
    Assessment.objects.filter(pk=assessment.pk).update(status=status, round=round_, **stamps(status))
    AssessmentEvent.objects.bulk_create(history(assessment, status, round_=round_, note=note))
    assessment_recompute(assessment)


class Batch:
    """One campaign's demo writes, collected and then made in a few bulk statements (seeding stays fast):
    scores, paperwork (veto self-check, stamped form, sign-offs), states with their history; then every
    assessment's totals are recomputed by the service."""

    def __init__(self, campaign, committee, supervisor):
        self.campaign, self.committee, self.supervisor = campaign, committee, supervisor
        self.rows = {}
        for row in ordered_scores(IndicatorScore.objects.filter(assessment__campaign=campaign)):
            self.rows.setdefault(row.assessment_id, []).append(row)
        self.evidence, self.signoffs, self.events = [], [], []
        self.states, self.papers, self.cleared = {}, [], []

    def scores(self, a, target, rnd, *, review, reviewed_share=1.0):
        score_rows(self.rows[a.pk], target, rnd, review=review, reviewed_share=reviewed_share)

    def queued(self, a, low, high):
        """A village still to be reviewed: its self scores add up to between `low` and `high`; the review
        done so far takes them as they are but for one adjusted indicator (half a point, with a reason)."""
        rows = self.rows[a.pk]
        village = [r for r in rows if r.self_score is not None]
        total, i = sum(r.self_score for r in village), 0
        while total > high or total < low:
            r = village[i % len(village)]
            step = -HALF if total > high else HALF
            if 0 <= r.self_score + step <= r.indicator.max_score:
                r.self_score += step
                total += step
            i += 1
        adjusted = False
        for r in village:
            if r.review_score is not None:
                r.review_score, r.review_note = r.self_score, ""
                if not adjusted and r.self_score >= HALF:
                    r.review_score -= HALF
                    r.review_note = "抽查会议记录，有一次未按要求公开，扣0.5分。"
                    adjusted = True

    def paperwork(self, a):
        """The submission paperwork: veto self-check answered, the stamped 申请表 (a real one-page PDF)
        and both sides' sign-offs for round 1."""
        self.papers.append(a.pk)
        name = f"{a.village.name}申请表（盖章）.pdf"
        self.evidence.append(
            store(a, Evidence.Kind.APPLICATION_FORM, application_form_pdf(), name, self.committee)
        )
        for side, user in (("committee", self.committee), ("supervisor", self.supervisor)):
            self.signoffs.append(Signoff(assessment=a, side=side, round=1, user=user))

    def claim(self, a, item, points, *, accepted):
        """A bonus claim with its evidence (a real one-page PDF), accepted or waiting for the review;
        written at once (there are few), so it may come after `flush`."""
        claim = BonusClaim.objects.create(
            assessment=a,
            bonus_item=item,
            claimed_points=points,
            explanation=f"{item.name}（演示数据）",
            status=BonusClaim.Status.ACCEPTED if accepted else BonusClaim.Status.CLAIMED,
            accepted_points=points if accepted else None,
            review_reason="材料齐全，予以认定。" if accepted else "",
        )
        name = f"{item.name[:12]}证明材料.pdf"
        pdf = bonus_evidence_pdf(item.name)
        store(a, Evidence.Kind.BONUS, pdf, name, self.committee, claim=claim).save(force_insert=True)

    def state(self, a, status, *, cleared=False):
        self.states.setdefault(status, []).append(a.pk)
        self.events += history(a, status)
        if cleared:
            self.cleared.append(a.pk)

    def flush(self):
        rows = [row for rows in self.rows.values() for row in rows]
        IndicatorScore.objects.filter(assessment__campaign=self.campaign).delete()
        for row in rows:
            row.pk = None
        IndicatorScore.objects.bulk_create(rows, batch_size=500)
        VetoCheck.objects.filter(assessment_id__in=self.papers).update(self_answer=False)
        VetoCheck.objects.filter(assessment_id__in=self.cleared).update(review=VetoCheck.Review.CLEARED)
        Evidence.objects.bulk_create(self.evidence, batch_size=500)
        Signoff.objects.bulk_create(self.signoffs, batch_size=500)
        AssessmentEvent.objects.bulk_create(self.events, batch_size=500)
        for status, pks in self.states.items():
            Assessment.objects.filter(pk__in=pks).update(status=status, round=1, **stamps(status))
        for a in self.campaign.assessments.all():
            assessment_recompute(a)
