"""The credentials slip sheet: one cut-out slip per new account, several per A4 page (WeasyPrint).

The one-time passwords come from the import's result in memory and go straight into the PDF bytes of
the same request; nothing here stores them. The renderer fetches nothing: no base URL, and a fetcher
that allows only inline `data:` URLs (like reports/pdf, which this layer may not import).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from common.dates import cn_date

SLIPS_PER_PAGE = 8  # 2 × 4 on A4, each 96.5 × 64 mm, cut along the dashed borders
LOGIN_HOW = "用登录名或手机号登录，首次登录须修改密码"
# The settings default; a deployment that has not set DJANGO_SITE_URL prints the address the
# administrator is using instead.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def site_url(request=None):
    url = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if (not url or url == DEFAULT_SITE_URL) and request is not None:
        url = request.build_absolute_uri("/").rstrip("/")
    return url or DEFAULT_SITE_URL


def credentials_pdf(*, township, accounts, summary="", request=None):
    """PDF bytes: the slips of `accounts` (importing.NewAccount) of `township`."""
    html = render_to_string(
        "accounts/import/slips.html",
        {
            "township": township,
            "pages": [accounts[i : i + SLIPS_PER_PAGE] for i in range(0, len(accounts), SLIPS_PER_PAGE)],
            "summary": summary,
            "site_url": site_url(request),
            "login_how": LOGIN_HOW,
            "generated": cn_date(timezone.localdate()),
        },
    )
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
