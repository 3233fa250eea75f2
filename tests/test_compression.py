"""Pages and JSON go out gzip-compressed to browsers that accept it; downloads are left as they are.
On PostgreSQL the app's connections run with JIT off."""

import gzip

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Role
from tests.factories import user_with_role


@pytest.mark.django_db
def test_a_page_is_compressed_when_the_browser_accepts_gzip(client, org):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    plain = client.get(reverse("home"))
    packed = client.get(reverse("home"), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    body = gzip.decompress(packed.content).decode()
    assert "清廉村居测评平台" in body
    assert len(packed.content) < len(plain.content) / 2


@pytest.mark.django_db
def test_a_downloaded_pdf_is_not_compressed_again(client, org):
    from django.http import HttpResponse

    from common.middleware import TextGZipMiddleware

    pdf = HttpResponse(b"%PDF-1.7 " + b"x" * 2000, content_type="application/pdf")
    request = (
        __import__("django.test", fromlist=["RequestFactory"])
        .RequestFactory()
        .get("/", HTTP_ACCEPT_ENCODING="gzip")
    )
    out = TextGZipMiddleware(lambda r: pdf)(request)
    assert "Content-Encoding" not in out and out.content.startswith(b"%PDF-1.7")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT is PostgreSQL's")
@pytest.mark.django_db
def test_the_apps_postgresql_connections_run_without_jit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
