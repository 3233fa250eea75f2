"""Writes of the self-assessment side (自评): scores, bonus claims, veto self-check, 申请表, evidence and
sign-offs.

Every function is keyword-only and atomic, locks the assessment row first (so it cannot interleave with
a submit), refuses unless the actor is SELF, the state is editable and the self-assessment window is
open, writes an event row for each change, and voids this round's sign-offs when anything they confirmed
changes. Lines with a `version` are saved with a conditional UPDATE: a stale version is a ConflictError
and nothing is written.
"""

from .application import application_form_save, form_state, form_state_of, signoff_sign
from .base import ACHIEVEMENTS_MAX, FORM_FIELDS, PROBLEMS_MAX, SELF_ACTIONS, cn_day, self_edit_problem
from .evidence import evidence_delete, evidence_upload
from .scores import (
    bonus_claim_delete,
    bonus_claim_save,
    claim_state,
    score_save_self,
    score_state,
    veto_self_save,
    veto_state,
)

__all__ = [
    "ACHIEVEMENTS_MAX",
    "FORM_FIELDS",
    "PROBLEMS_MAX",
    "SELF_ACTIONS",
    "application_form_save",
    "bonus_claim_delete",
    "bonus_claim_save",
    "claim_state",
    "cn_day",
    "evidence_delete",
    "evidence_upload",
    "form_state",
    "form_state_of",
    "score_save_self",
    "score_state",
    "self_edit_problem",
    "signoff_sign",
    "veto_self_save",
    "veto_state",
]
