# Placeholder views: replaced by the real pages.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


review_edit = _todo
score_review = _todo
bonus_review = _todo
veto_review = _todo
grading_board = _todo
grade_override = _todo
confirm_grades = _todo
city_board = _todo
city_decide = _todo
veto_event_create = _todo
village_history = _todo
