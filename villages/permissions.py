"""Small predicates shared by the organisation views and templates."""

from accounts.roles import Cap


def unit_phone_visible(scope, unit, wide_township_ids):
    """Phone numbers are personal data (SECURITY.md PRIV-1): township-wide roles, admins, the unit itself."""
    return scope.is_admin or unit.township_id in wide_township_ids or unit.pk in scope.unit_ids


def can_manage_org(scope, township):
    """Import, export and the template: ORG_MANAGE held at this township or above it."""
    return scope.can_in_township(Cap.ORG_MANAGE, township)
