from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_users

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("users/", views.user_list, name="user_list"),
    path("users/export/", views.user_export, name="user_export"),
    path("users/new/", views_users.user_create_view, name="user_create"),
    path("regions/new/", views_users.region_create_view, name="region_create"),
    path("townships/new/", views_users.township_create_view, name="township_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views_users.user_edit_view, name="user_edit"),
    path("users/<int:pk>/active/", views_users.user_active_view, name="user_active"),
    path("users/<int:pk>/password-reset/", views_users.user_password_reset_view, name="user_password_reset"),
    path("users/<int:pk>/grant/", views_users.user_grant_view, name="user_grant"),
    path("users/memberships/<int:pk>/revoke/", views_users.membership_revoke_view, name="membership_revoke"),
    path("notifications/", views.notification_list, name="notification_list"),
]
