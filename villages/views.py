# Placeholder views: replaced by the organisation pages.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


township_list = township_detail = township_import = township_export = _todo
village_list = village_detail = unit_list = unit_detail = _todo
