from django.shortcuts import render

from .home import home_cards, role_hints


def home(request):
    return render(
        request, "portal/home.html", {"cards": home_cards(request.user), "hints": role_hints(request.user)}
    )
