"""群众意见 reads, scoped by the access table: a township's messages for whoever reaches it whole."""

from django.db.models import Count, Q

from access.checks import access_by_id
from access.roles import Cap
from access.scope import scope_for

from .models import Feedback


def feedback_list_for_user(user):
    q = scope_for(user).township_q(Cap.FEEDBACK_VIEW, prefix="township__")
    return Feedback.objects.filter(q).select_related("village", "township", "handled_by")


def access_feedback_by_id(user, pk, *, need=None, request=None):
    """(message, the user's sides of its township) or Http404."""
    return access_by_id(
        user,
        feedback_list_for_user(user).select_related("rectification"),
        pk,
        entity="township",
        subject=lambda f: f.township,
        need=need,
        request=request,
    )


def feedback_counts(queryset):
    return queryset.aggregate(
        total=Count("id"),
        new=Count("id", filter=Q(status=Feedback.Status.NEW)),
        answered=Count("id", filter=Q(status=Feedback.Status.ANSWERED)),
        dismissed=Count("id", filter=Q(status=Feedback.Status.DISMISSED)),
        rectified=Count("id", filter=Q(status=Feedback.Status.RECTIFIED)),
    )


def new_feedback_count(user):
    """Messages waiting for the township, where the user may act on them."""
    scope = scope_for(user)
    if not scope.can(Cap.FEEDBACK_MANAGE):
        return 0
    q = scope.township_q(Cap.FEEDBACK_MANAGE, prefix="township__")
    return Feedback.objects.filter(q, status=Feedback.Status.NEW).count()
