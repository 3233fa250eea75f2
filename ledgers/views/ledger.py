# Placeholder views: replaced by the real pages.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


ledger_list = _todo
compliance = _todo
ledger_edit = _todo
ledger_template = _todo
ledger_upload = _todo
ledger_submit = _todo
entry_confirm = _todo
