from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("township/<int:pk>/", views.township_go, name="township_go"),
    path("township/<int:pk>/<int:year>/", views.township, name="township"),
    path("township/<int:pk>/<int:year>/list/", views.township_list, name="township_list"),
    path(
        "township/<int:pk>/<int:year>/list/export/", views.township_list_export, name="township_list_export"
    ),
    path("city/<int:pk>/", views.city_go, name="city_go"),
    path("city/<int:pk>/<int:year>/", views.city, name="city"),
]
