"""A campaign's row is read from the cache by the pages about it (selectors.campaign_row), under its
township's (or, for a township-level round, its region's) data version: every save or delete of a
campaign renews those versions, and bulk updates do the same through the model's queryset
(models.CampaignQuerySet). The standard in its row never changes: a standard in use is locked
(IndexStandard.guard_editable)."""

from django.db.models.signals import post_delete, post_save

from .models import Campaign
from .rowcache import campaigns_changed


def _campaign_changed(sender, instance, **kwargs):
    campaigns_changed([(instance.pk, instance.township_id, instance.region_id)])


post_save.connect(_campaign_changed, sender=Campaign, dispatch_uid="campaign-row-save")
post_delete.connect(_campaign_changed, sender=Campaign, dispatch_uid="campaign-row-delete")
