"""What feedback contributes to the home page: the count of new 群众意见 for those who handle them."""

from django.urls import reverse

from access.roles import Cap

from .demo import seed_demo_feedback
from .selectors import new_feedback_count


def new_feedback_pending(user, scope):
    if not scope.can(Cap.FEEDBACK_MANAGE):
        return []
    n = new_feedback_count(user)
    if not n:
        return []
    return [
        (
            f"{n} 条群众意见待处理",
            "村民在公开页面留下的意见：答复、说明不予处理的理由，或转为整改事项。",
            reverse("feedback:list") + "?status=new",
        )
    ]


def feedback_cards(user, scope):
    if scope.can(Cap.FEEDBACK_VIEW):
        yield ("群众意见", "村民在村（社区）公开页面留下的意见及处理情况。", reverse("feedback:list"))


HOME_PENDING = [(45, new_feedback_pending)]
HOME_CARDS = [(175, feedback_cards)]
DEMO = [(60, seed_demo_feedback)]
