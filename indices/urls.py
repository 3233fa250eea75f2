from django.urls import path

from . import views

app_name = "indices"

urlpatterns = [
    path("", views.standard_list, name="standard_list"),
    path("import/", views.standard_import, name="standard_import"),
    path("<int:pk>/", views.standard_detail, name="standard_detail"),
    path("<int:pk>/edit/", views.standard_edit, name="standard_edit"),
    path("<int:pk>/copy/", views.standard_copy, name="standard_copy"),
    path("<int:pk>/export/", views.standard_export, name="standard_export"),
    path("<int:pk>/replace/", views.standard_replace, name="standard_replace"),
]
