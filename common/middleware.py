"""Project middleware: a busy database answered as 繁忙，请重试; pages and JSON compressed.

A busy database is a clear 繁忙，请重试, never a 5xx page.

SQLite (the embedded default) allows one writer at a time: a writer that waits longer than the busy
timeout fails with "database is locked"; PostgreSQL may end one of two deadlocked transactions. The
service's transaction has rolled back by then, so nothing is half-written; the user is told to try again.
"""

import logging

from django.db import OperationalError
from django.http import JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import render

log = logging.getLogger("qinglian.busy")

BUSY_MARKERS = ("database is locked", "database table is locked", "deadlock detected", "could not serialize")
MESSAGE = "系统繁忙，本次提交未完成，请稍候几秒再试。已保存的内容不受影响。"
RETRY_AFTER = "3"


def is_busy(exc):
    return isinstance(exc, OperationalError) and any(m in str(exc).lower() for m in BUSY_MARKERS)


def wants_json(request):
    return request.headers.get(
        "X-Requested-With"
    ) == "XMLHttpRequest" or "application/json" in request.headers.get("Accept", "")


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_busy(exception):
            return None
        log.warning("database busy on %s %s: %s", request.method, request.path, exception)
        if wants_json(request):
            response = JsonResponse({"ok": False, "errors": [MESSAGE], "error": MESSAGE}, status=503)
        else:
            response = render(request, "busy.html", {"message": MESSAGE}, status=503)
        response["Retry-After"] = RETRY_AFTER
        return response


COMPRESSIBLE = ("text/html", "application/json", "text/plain", "text/csv")


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZip for pages and JSON only: downloads (PDF, ZIP, Excel, Word are compressed already or
    streamed from disk) and WhiteNoise's static files (precompressed) pass untouched. The CSRF token in
    a page is masked per response, which defeats BREACH-style guessing of it."""

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in COMPRESSIBLE:
            return response
        return super().process_response(request, response)
