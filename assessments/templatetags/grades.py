"""Honest grade states on single-assessment pages: `{% self_estimate a as est %}` gives the grade name
the village's self-assessment alone would reach ("" once the assessment is graded or nothing is
self-scored yet). Lists attach it in bulk with assessments.estimates.self_estimates instead."""

from django import template

from indices.models import Grade

from ..estimates import self_estimates

register = template.Library()


@register.simple_tag
def self_estimate(assessment):
    if assessment is None or assessment.is_graded:
        return ""
    if not hasattr(assessment, "self_estimate_label"):
        standard_id = assessment.campaign.standard_id
        grades = list(Grade.objects.filter(standard_id=standard_id).order_by("rank"))
        self_estimates([assessment], {standard_id: grades})
    return assessment.self_estimate_label
