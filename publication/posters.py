"""The QR posters (A4, one page per village) for the 村务公开栏: WeasyPrint from a template, the QR code
an inline SVG data: URL (the fetcher refuses everything else, as in reports.pdf)."""

import segno
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher


def qr_data_uri(url):
    return segno.make(url, error="m").svg_data_uri(scale=10, border=2)


def posters_pdf(*, township, year, villages, url_of):
    """One A4 page per village entry of a payload; `url_of(key)` is the absolute address of its card."""
    pages = [{"v": v, "url": url_of(v["key"]), "qr": qr_data_uri(url_of(v["key"]))} for v in villages]
    html = render_to_string(
        "publication/pdf/posters.html", {"township": township, "year": year, "pages": pages}
    )
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
