from django.urls import path

from . import views_import

app_name = "user_import"

urlpatterns = [
    path("", views_import.choose, name="choose"),
    path("<int:pk>/", views_import.upload, name="upload"),
    path("<int:pk>/template/", views_import.template, name="template"),
]
