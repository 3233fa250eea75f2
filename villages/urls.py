from django.urls import path

from . import views, views_setup

app_name = "villages"

urlpatterns = [
    path("", views.township_list, name="township_list"),
    path("townships/<int:pk>/", views.township_detail, name="township_detail"),
    path("townships/<int:pk>/import/", views.township_import, name="township_import"),
    path("townships/<int:pk>/export/", views.township_export, name="township_export"),
    path("townships/<int:pk>/template/", views.township_template, name="township_template"),
    path("townships/<int:pk>/settings/", views_setup.township_settings, name="township_settings"),
    path("townships/<int:pk>/plan/", views_setup.township_plan, name="township_plan"),
    path("villages/", views.village_list, name="village_list"),
    path("villages/<int:pk>/", views.village_detail, name="village_detail"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
]
