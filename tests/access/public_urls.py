from django.http import HttpResponse
from django.urls import include, path

from access.checks import public_view
from access.roles import Cap


@public_view(Cap.ORG_VIEW)
def published(request):
    return HttpResponse("published")


@public_view(Cap.LEDGER_VIEW)
def published_other(request):
    return HttpResponse("other")


urlpatterns = [
    path("published/", published),
    path("published-other/", published_other),
    path("accounts/", include("accounts.urls")),
]
