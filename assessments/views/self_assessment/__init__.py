"""The self-assessment side of one assessment: overview, the score sheet with its autosaving blocks,
evidence, sign-offs, and the generic transition endpoint every side posts to.

Objects come only through the scoped selectors (404 out of scope); child rows are looked up through
the assessment, so a forged id of another assessment's row is a 404 too. Writes go through
services.self_assessment. Each small block answers JSON to fetch() and redirects with a message otherwise.
"""

from .blocks import bonus_save, form_save, score_save, signoff, veto_save
from .evidence import evidence_delete, evidence_download, evidence_upload
from .pages import assessment_detail, self_edit
from .transition import transition

__all__ = [
    "assessment_detail",
    "bonus_save",
    "evidence_delete",
    "evidence_download",
    "evidence_upload",
    "form_save",
    "score_save",
    "self_edit",
    "signoff",
    "transition",
    "veto_save",
]
