from audit.services import audit_log
from common.errors import ApplicationError

from ..models import AssessmentEvent


class WorkflowError(ApplicationError):
    """A refused step; `problems` are the Chinese messages shown to the user."""

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("；".join(self.problems))


def event_rows(*, assessment, actor, action, subject="", from_value="", to_value="", reason=""):
    """The unsaved event row and the audit_log arguments record_event writes for one step."""
    event = AssessmentEvent(
        assessment=assessment,
        actor=actor,
        action=action,
        subject=str(subject)[:120],
        from_value=str(from_value)[:200],
        to_value=str(to_value)[:200],
        reason=reason,
        round=assessment.round,
    )
    audit = {
        "action": f"assessment.{action}",
        "obj": assessment,
        "township_id": assessment.township_id,
        "village_id": assessment.village_id,
        "message": f"{assessment.subject_name} {subject} {from_value}→{to_value}".strip(),
        "detail": {"reason": reason} if reason else {},
    }
    return event, audit


def record_event(
    *, assessment, actor, action, subject="", from_value="", to_value="", reason="", request=None
):
    """One event row in the assessment's history plus its audit row."""
    event, audit = event_rows(
        assessment=assessment,
        actor=actor,
        action=action,
        subject=subject,
        from_value=from_value,
        to_value=to_value,
        reason=reason,
    )
    event.save(force_insert=True)
    audit_log(actor=actor, request=request, **audit)
