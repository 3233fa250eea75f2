"""The cached campaign rows (selectors.campaign_row): their keys, and what every write to a campaign
renews, whether it came through a save (signals) or a bulk update (the model's queryset)."""

from django.conf import settings
from django.core.cache import cache

from common.dataversion import data_version_bump

# how long the township and region of a campaign are remembered by its key (forgotten on every write)
OWNER_SECONDS = 24 * 3600


def campaign_owner_key(pk):
    return f"campaign-owner:{settings.DATABASES['default']['NAME']}:{pk}"


def campaigns_changed(rows):
    """rows: (pk, township_id, region_id) of campaigns just written. Their townships' (or regions')
    data versions are renewed, which retires their cached rows and the pages showing them, and their
    owners are read again (no service moves a campaign, but nothing forbids it)."""
    rows = list(rows)
    if not rows:
        return
    cache.delete_many([campaign_owner_key(pk) for pk, _, _ in rows])
    data_version_bump(townships=[t for _, t, _ in rows if t], regions=[r for _, _, r in rows])
