# Placeholder views: replaced by the real pages.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


rectification_list = _todo
rectification_create = _todo
rectification_detail = _todo
rectification_respond = _todo
rectification_verify = _todo
