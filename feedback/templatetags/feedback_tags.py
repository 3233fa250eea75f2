"""The public form's category list comes from the model's choices (the publication card includes the form
by template name only, so the choices are looked up here, not passed in by its view)."""

from django import template

from ..models import Feedback

register = template.Library()


@register.simple_tag
def feedback_categories():
    return Feedback.Category.choices
