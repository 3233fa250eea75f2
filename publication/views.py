"""The township's 结果公开 page (preview, publish, correct, withdraw, history, posters) and the public
pages: a township's year and a village's card, readable without a login, cached, a fixed number of
queries on a miss and none on a hit."""

import re
from functools import cache as memoize

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from access.checks import public_view, require_cap
from access.roles import Cap, Side
from assessments.selectors import access_campaign_by_id
from common.errors import ApplicationError

from . import cache as pcache
from .posters import posters_pdf
from .selectors import (
    public_township_posters,
    public_township_year,
    public_village_card,
    publication_blockers,
    publication_history,
    publication_in_force,
    publication_payload,
)
from .services import publication_publish, publication_withdraw

FEEDBACK_FORM = "feedback/public_form.html"
# villages.models.new_public_key: 12 url-safe characters (at most 16 stored); anything else is forged
KEY = re.compile(r"[A-Za-z0-9_-]{1,16}")
PUBLIC_CACHE_CONTROL = "public, max-age=60"


@memoize
def feedback_form_exists():
    """Whether the feedback app provides its form for the village card (it may not be installed)."""
    try:
        select_template([FEEDBACK_FORM])
    except TemplateDoesNotExist:
        return False
    return True


def card_url(village_key):
    return settings.SITE_URL.rstrip("/") + reverse("publication:public_village", args=[village_key])


# --- the township -------------------------------------------------------------------------------------


def _campaign(request, pk):
    campaign, _ = access_campaign_by_id(request.user, pk, need=Side.MANAGER, request=request)
    if campaign.level != campaign.Level.VILLAGE:
        raise Http404
    return campaign


@require_GET
@require_cap(Cap.PUBLISH_MANAGE)
def manage(request, pk):
    campaign = _campaign(request, pk)
    blockers = publication_blockers(campaign)
    current = publication_in_force(campaign)
    return render(
        request,
        "publication/manage.html",
        {
            "campaign": campaign,
            "blockers": blockers,
            "preview": None if blockers else publication_payload(campaign),
            "current": current,
            "current_version": current.version if current else 0,
            "history": publication_history(campaign),
            "public_url": reverse(
                "publication:public_township", args=[campaign.township.public_key, campaign.year]
            ),
        },
    )


def _expected(request):
    try:
        return int(request.POST.get("expected_version", ""))
    except ValueError:
        return None


@require_POST
@require_cap(Cap.PUBLISH_MANAGE)
def publish(request, pk):
    campaign = _campaign(request, pk)
    expected = _expected(request)
    if expected is None or request.POST.get("confirm") != "1":
        messages.error(request, "请勾选确认后再发布。")
        return redirect("publication:manage", pk=campaign.pk)
    try:
        pub = publication_publish(
            campaign=campaign,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            expected_version=expected,
            request=request,
        )
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        what = "已发布更正" if pub.version > 1 else "已公开"
        messages.success(request, f"{campaign.year}年测评结果{what}（第{pub.version}版）。")
    return redirect("publication:manage", pk=campaign.pk)


@require_POST
@require_cap(Cap.PUBLISH_MANAGE)
def withdraw(request, pk):
    campaign = _campaign(request, pk)
    current = publication_in_force(campaign)
    expected = _expected(request)
    if current is None or expected != current.version:
        messages.error(request, "公开结果已被他人更新或已撤回，请刷新页面核对后再操作。")
        return redirect("publication:manage", pk=campaign.pk)
    try:
        publication_withdraw(
            publication=current, actor=request.user, reason=request.POST.get("reason", ""), request=request
        )
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤回{campaign.year}年测评结果的公开。")
    return redirect("publication:manage", pk=campaign.pk)


@require_GET
@require_cap(Cap.PUBLISH_MANAGE)
def township_posters(request, pk):
    campaign = _campaign(request, pk)
    current = publication_in_force(campaign)
    if current is None:
        raise Http404
    pdf = posters_pdf(
        township=current.payload["township"],
        year=current.year,
        villages=public_township_posters(current),
        url_of=card_url,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="posters-{current.year}.pdf"'
    return response


# --- the public ---------------------------------------------------------------------------------------


def _check_key(key):
    """A forged key of another shape is a 404 before it reaches the cache or the database."""
    if not KEY.fullmatch(key):
        raise Http404


def _public(content, content_type="text/html; charset=utf-8"):
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response


@require_GET
@public_view(Cap.PUBLISHED_VIEW)
def public_township(request, township_key, year):
    _check_key(township_key)
    key = pcache.page_key("t", township_key, year)
    html = cache.get(key)
    if html is None:
        current, corrections = public_township_year(township_key, year)
        html = render_to_string(
            "publication/public_township.html",
            {
                "p": current.payload,
                "version": current.version,
                "published_at": current.published_at,
                "corrections": corrections,
            },
        )
        cache.set(key, html, pcache.TIMEOUT)
    return _public(html)


@require_GET
@public_view(Cap.PUBLISHED_VIEW)
def public_village(request, village_key):
    _check_key(village_key)
    key = pcache.page_key("v", village_key)
    cached = cache.get(key)
    if cached is None:
        years = public_village_card(village_key)
        body = render_to_string("publication/_village_card.html", {"years": years, "latest": years[0]})
        cached = (years[0]["entry"]["name"], body)
        cache.set(key, cached, pcache.TIMEOUT)
    # the card's data is cached; the page around it (with the feedback form, if any) is rendered per request
    title, body = cached
    return _public(
        render_to_string(
            "publication/public_village.html",
            {
                "title": title,
                "body": body,
                "village_key": village_key,
                "feedback_form": feedback_form_exists(),
            },
            request=request,
        )
    )


@require_GET
@public_view(Cap.PUBLISHED_VIEW)
def public_village_poster(request, village_key):
    _check_key(village_key)
    key = pcache.page_key("poster", village_key)
    pdf = cache.get(key)
    if pdf is None:
        latest = public_village_card(village_key)[0]
        pdf = posters_pdf(
            township=latest["township"], year=latest["year"], villages=[latest["entry"]], url_of=card_url
        )
        cache.set(key, pdf, pcache.TIMEOUT)
    response = _public(pdf, "application/pdf")
    response["Content-Disposition"] = 'inline; filename="poster.pdf"'
    return response
