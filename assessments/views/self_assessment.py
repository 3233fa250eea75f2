# Placeholder views: replaced by the real pages.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


assessment_detail = _todo
self_edit = _todo
score_save = _todo
bonus_save = _todo
veto_save = _todo
form_save = _todo
signoff = _todo
evidence_upload = _todo
evidence_download = _todo
evidence_delete = _todo
transition = _todo
