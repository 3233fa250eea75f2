"""One way to send a generated file: an attachment with an RFC 6266 name (an ASCII fallback for old
clients, the Chinese name in filename*), never cached (SECURITY PRIV-3), never sniffed."""

from urllib.parse import quote

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment_response(payload, filename, *, fallback, content_type=XLSX):
    response = HttpResponse(payload, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
