# Placeholder views: replaced by the real pages.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


campaign_list = _todo
campaign_create = _todo
campaign_detail = _todo
campaign_edit = _todo
branch_board = _todo
branch_forward = _todo
assessment_reopen = _todo
