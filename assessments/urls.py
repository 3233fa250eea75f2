from django.urls import path

from .views import campaigns, review, self_assessment

app_name = "assessments"

urlpatterns = [
    # Campaigns and the party-branch page
    path("", campaigns.campaign_list, name="campaign_list"),
    path("new/", campaigns.campaign_create, name="campaign_create"),
    path("<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("<int:pk>/branch/<int:branch_pk>/", campaigns.branch_board, name="branch_board"),
    path("<int:pk>/branch/<int:branch_pk>/forward/", campaigns.branch_forward, name="branch_forward"),
    path("a/<int:pk>/reopen/", campaigns.assessment_reopen, name="assessment_reopen"),
    path("townships/<int:township_pk>/batches/", campaigns.batch_results, name="batch_results"),
    # One assessment: overview, self-assessment, evidence, transitions
    path("a/<int:pk>/", self_assessment.assessment_detail, name="assessment_detail"),
    path("a/<int:pk>/self/", self_assessment.self_edit, name="self_edit"),
    path("a/<int:pk>/self/score/<int:score_pk>/", self_assessment.score_save, name="self_score_save"),
    path("a/<int:pk>/self/bonus/", self_assessment.bonus_save, name="self_bonus_save"),
    path("a/<int:pk>/self/veto/<int:check_pk>/", self_assessment.veto_save, name="self_veto_save"),
    path("a/<int:pk>/self/form/", self_assessment.form_save, name="self_form_save"),
    path("a/<int:pk>/self/signoff/", self_assessment.signoff, name="self_signoff"),
    path("a/<int:pk>/evidence/", self_assessment.evidence_upload, name="evidence_upload"),
    path("evidence/<uuid:evidence_pk>/", self_assessment.evidence_download, name="evidence_download"),
    path("evidence/<uuid:evidence_pk>/delete/", self_assessment.evidence_delete, name="evidence_delete"),
    path("a/<int:pk>/transition/<slug:action>/", self_assessment.transition, name="transition"),
    # Township review, grading, the city's decision and history
    path("a/<int:pk>/review/", review.review_edit, name="review_edit"),
    path("a/<int:pk>/review/score/<int:score_pk>/", review.score_review, name="review_score_save"),
    path("a/<int:pk>/review/accept-remaining/", review.accept_remaining, name="review_accept_remaining"),
    path("a/<int:pk>/review/computed/", review.computed_fill, name="review_computed_fill"),
    path(
        "a/<int:pk>/review/computed/<int:score_pk>/restore/",
        review.computed_restore,
        name="review_computed_restore",
    ),
    path("a/<int:pk>/review/bonus/<int:claim_pk>/", review.bonus_review, name="review_bonus_save"),
    path("a/<int:pk>/review/veto/<int:check_pk>/", review.veto_review, name="review_veto_save"),
    path("a/<int:pk>/review/veto-clear-all/", review.veto_clear_all, name="review_veto_clear_all"),
    path("<int:pk>/grading/", review.grading_board, name="grading_board"),
    path("a/<int:pk>/grade/", review.grade_override, name="grade_override"),
    path("<int:pk>/confirm/", review.confirm_grades, name="confirm_grades"),
    path("city/", review.city_board, name="city_board"),
    path("a/<int:pk>/city-decision/", review.city_decide, name="city_decide"),
    path("a/<int:pk>/veto-event/", review.veto_event_create, name="veto_event_create"),
    path("history/village/<int:village_pk>/", review.village_history, name="village_history"),
]
