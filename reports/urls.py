from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("campaign/<int:campaign_pk>/", views.reports_center, name="center"),
    path("campaign/<int:campaign_pk>/export/<slug:kind>/", views.export_create, name="export_create"),
    path("jobs/<int:pk>/status/", views.job_status, name="job_status"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job_retry"),
    path("village/<int:village_pk>/record/", views.village_record_page, name="village_record"),
    path(
        "village/<int:village_pk>/record/export/", views.village_record_export, name="village_record_export"
    ),
    path("township/<int:township_pk>/summary/<int:year>/", views.year_summary_page, name="year_summary"),
    path(
        "township/<int:township_pk>/summary/<int:year>/export/",
        views.year_summary_export,
        name="year_summary_export",
    ),
    path("a/<int:pk>/demonstration/", views.demonstration_edit, name="demonstration_edit"),
    path("a/<int:pk>/<str:doc>", views.assessment_document, name="assessment_document"),
]
