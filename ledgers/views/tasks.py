# Placeholder views: replaced by the real pages.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


task_list = _todo
task_import = _todo
task_detail = _todo
task_progress = _todo
