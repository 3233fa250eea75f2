"""The home page's "what can I do next" cards, per role, assembled from what each app registers
(see registry.py): first the work waiting for the user, then each app's cards, in their order; and
the one-line hints of the user's roles, with the dates of the open campaign.

A provider yields (title, text, url) or (title, text, url, options); options may set the `button`
label, a `tone` ("sign" for a signature waiting, "result" for a published result) and a `figure`
(the grade shown large on a result card).
"""

from string import Formatter

from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from access.roles import ROLE_HINTS, Cap, Role
from access.scope import scope_for
from assessments.models import Campaign
from common.dates import cn_date
from villages.models import Township

from .registry import registry

NO_OPEN_CAMPAIGN = "目前没有进行中的测评年度，镇街发布本年度测评后这里会显示截止日期。"
DATE_FIELDS = {
    "self_deadline": "自评截止日",
    "submission_deadline": "报送截止日",
    "city_deadline": "报市截止日",
}


def home_cards(user):
    scope = scope_for(user)
    cards = []

    def add(title, text, url, button="进入", urgent=False, **options):
        cards.append(
            {"title": title, "text": text, "url": url, "button": button, "urgent": urgent, **options}
        )

    for title, text, url, *options in pending_work(user, scope):
        add(title, text, url, **{"button": "去办理", "urgent": True, **(options[0] if options else {})})
    for title, text, url, *options in registry.cards(user, scope):
        add(title, text, url, **(options[0] if options else {}))
    if not cards:
        add(
            "暂无可用功能",
            "您的账户尚未分配角色，请联系镇纪委或系统管理员。",
            reverse("accounts:password_change"),
            "修改密码",
        )
    return cards


def open_campaigns(scope, today=None):
    """The village-level campaigns of the user's township(s) still under way, newest first: grades not
    yet confirmed, or the city deadline still ahead. Of a year's rounds the annual one comes first (the
    dates the home page's hints name), then the others in the order they were created."""
    towns = scope.touched_township_ids(Cap.CAMPAIGN_VIEW)
    if not towns:
        return []
    today = today or timezone.localdate()
    return list(
        Campaign.objects.filter(level=Campaign.Level.VILLAGE, township_id__in=towns)
        .filter(Q(grades_confirmed_at__isnull=True) | Q(city_deadline__gte=today))
        .order_by(
            "-year",
            "township__name",
            Case(When(kind=Campaign.Kind.ANNUAL, then=Value(0)), default=Value(1)),
            "created_at",
        )
    )


def campaign_for(field, campaigns):
    """The campaign whose `field` the hint shows: the village's and the branch's dates only while the
    grades are open; the city deadline until it has passed."""
    for campaign in campaigns:
        if field == "city_deadline" or not campaign.is_confirmed:
            return campaign
    return None


def _ledger_due_day(scope):
    towns = scope.touched_township_ids(Cap.LEDGER_SUBMIT)
    return (
        Township.objects.filter(pk__in=towns)
        .order_by("name")
        .values_list("ledger_due_day", flat=True)
        .first()
    )


def _fill(template, scope, cache):
    fields = {name for _text, name, _spec, _conv in Formatter().parse(template) if name}
    values = {}
    for name in fields:
        if name == "ledger_due_day":
            if "due_day" not in cache:
                cache["due_day"] = _ledger_due_day(scope)
            if cache["due_day"] is None:
                return None
            values[name] = cache["due_day"]
            continue
        if "campaigns" not in cache:
            cache["campaigns"] = open_campaigns(scope)
        campaign = campaign_for(name, cache["campaigns"])
        if campaign is None:
            return NO_OPEN_CAMPAIGN
        day = getattr(campaign, name)
        if day is None:
            return f"{campaign.name}尚未设定{DATE_FIELDS[name]}，请留意镇街通知。"
        values[name] = cn_date(day)
    return template.format(**values)


def role_hints(user):
    scope = scope_for(user)
    cache = {}
    hints = []
    for r in sorted(scope.role_values):
        text = _fill(ROLE_HINTS[r], scope, cache)
        if text:
            hints.append((Role(r).label, text))
    return hints


def pending_work(user, scope):
    """Work waiting for this user right now, first on the home page (a fixed number of queries)."""
    return list(registry.pending(user, scope))
