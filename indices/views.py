# Placeholder views: replaced by the standards pages.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


standard_list = standard_import = standard_detail = standard_edit = standard_copy = standard_export = _todo
