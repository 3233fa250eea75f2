"""The project's routes plus a stand-in for the public village card (the publication app's, not on this
branch), which includes the feedback form by template name exactly as the real card does."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from access.checks import public_view
from access.roles import Cap
from config.urls import urlpatterns as project

CARD = engines["django"].from_string(
    '{% extends "base.html" %}{% block nav %}{% endblock %}{% block title %}东村{% endblock %}'
    '{% block content %}<h1 class="h4 mt-3">东村 · 2024年度清廉村居</h1>'
    '{% include "feedback/public_form.html" %}{% endblock %}'
)


@public_view(Cap.PUBLISHED_VIEW)
def card(request, village_key):
    return HttpResponse(CARD.render({"village_key": village_key}, request))


urlpatterns = [*project, path("test-card/<str:village_key>/", card)]
