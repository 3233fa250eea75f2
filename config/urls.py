from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from access.roles import Cap
from access.scope import scope_for


def _admin_has_permission(request):
    """Django admin only for system administrators, not for every staff flag (SECURITY.md AC-8)."""
    user = request.user
    return user.is_active and user.is_staff and scope_for(user).can(Cap.ADMIN_SITE)


admin.site.has_permission = _admin_has_permission
admin.site.site_header = "清廉村居测评平台 · 系统管理"
admin.site.site_title = "清廉村居测评平台"
admin.site.index_title = "系统管理"


@require_GET
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", include("portal.urls")),
    path("healthz", healthz, name="healthz"),
    path("accounts/users/import/", include("accounts.urls_import")),
    path("accounts/", include("accounts.urls")),
    path("org/", include("villages.urls")),
    path("standards/", include("indices.urls")),
    path("assessments/", include("assessments.urls")),
    path("ledgers/", include("ledgers.urls")),
    path("reports/", include("reports.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("", include("publication.urls")),  # /public/… (no login) and /publication/… (township)
    path("audit/", include("portal.auditlog.urls")),
    path("", include("feedback.urls")),
    path("admin/", admin.site.urls),
]
