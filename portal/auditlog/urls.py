from django.urls import path

from . import views

# The page moved here from the audit app; its namespace stays "audit" (reverse("audit:event_list")).
app_name = "audit"
urlpatterns = [path("", views.event_list, name="event_list")]
