from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("public/feedback-token/", views.public_token, name="public_token"),
    path("public/feedback/<str:village_key>/", views.public_submit, name="public_submit"),
    path("feedback/", views.feedback_list, name="list"),
    path("feedback/<int:pk>/", views.feedback_detail, name="detail"),
    path("feedback/<int:pk>/answer/", views.feedback_answer, name="answer"),
    path("feedback/<int:pk>/dismiss/", views.feedback_dismiss, name="dismiss"),
    path("feedback/<int:pk>/rectify/", views.feedback_rectify, name="rectify"),
]
