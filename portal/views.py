from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.scope import scope_for

from .headline import dashboard_headlines
from .home import home_cards, role_hints


@require_GET
def home(request):
    context = {
        "headlines": dashboard_headlines(request.user, scope_for(request.user)),
        "cards": home_cards(request.user),
        "hints": role_hints(request.user),
    }
    return render(request, "portal/home.html", context)
