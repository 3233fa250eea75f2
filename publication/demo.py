"""Demo publication (see portal/registry.py): every demo township's confirmed years whose 示范村 have
the city's decision are published, as the township's 镇纪委 would, so the public pages, the QR posters
and the villagers' messages can be tried at once. A year already published is left as it is."""

from assessments.models import Campaign

from .models import Publication
from .selectors import publication_blockers
from .services import publication_publish


def seed_demo_publications(demo):
    users = demo.users
    reviewers = {
        demo.baogou.pk: users["demo_jiwei"],
        demo.yangzhuang.pk: users["demo_yangzhuang"],
        demo.sanguan.pk: users["demo_sanguan"],
    }
    made = 0
    campaigns = Campaign.objects.filter(
        township_id__in=reviewers,
        level=Campaign.Level.VILLAGE,
        kind=Campaign.Kind.ANNUAL,
        grades_confirmed_at__isnull=False,
    ).order_by("township_id", "year")
    for campaign in campaigns:
        if Publication.objects.filter(campaign=campaign).exists() or publication_blockers(campaign):
            continue
        publication_publish(campaign=campaign, actor=reviewers[campaign.township_id])
        made += 1
    return made
