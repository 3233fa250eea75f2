from django.urls import path

from . import views

# No app_name: the home page keeps its project-wide URL name "home" (LOGIN_REDIRECT_URL, base.html and
# redirect("home") use it).
urlpatterns = [
    path("", views.home, name="home"),
]
