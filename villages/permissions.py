"""Small predicates shared by the organisation views and templates."""

from access.roles import Cap


def unit_phone_visible(scope, unit, wide_township_ids):
    """Phone numbers are personal data (SECURITY.md PRIV-1): township-wide roles, admins, the unit itself.

    `wide_township_ids`: the townships the user sees whole (the caller has them, from one query)."""
    return unit.township_id in wide_township_ids or unit.pk in scope.held(Cap.UNITS_VIEW, "unit")


def can_manage_org(scope, township):
    """Import, export and the template: ORG_MANAGE held at this township or above it."""
    return scope.reaches_township(Cap.ORG_MANAGE, township)
