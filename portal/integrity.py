"""The audit chain's integrity as an operator sees it: verify, and tell the administrators when it fails.

audit/ seals and verifies; this module, at the top of the house, addresses the people (the holders of
the audit capability over the whole system, from the access table)."""

import hashlib
import logging

from django.core.cache import cache

from access.recipients import system_holders_q
from access.roles import Cap
from accounts.models import Membership, User
from accounts.services import notify
from audit.services import audit_verify

log = logging.getLogger("qinglian.audit")
LAST_ALERT = "audit:verify:last-alert"


def verify_and_alert():
    """Verify the chain; on a failure not reported before, notify the administrators. Returns the report."""
    report = audit_verify()
    if report.ok:
        cache.delete(LAST_ALERT)
        return report
    lines = [str(p) for p in report.problems]
    log.error("audit chain verification failed: %s", "; ".join(lines))
    fingerprint = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    if cache.get(LAST_ALERT) != fingerprint:
        users = User.objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(system_holders_q(Cap.AUDIT_VIEW)).values("user_id"),
        )
        shown = "；".join(lines[:5]) + (f"；等共{len(lines)}处" if len(lines) > 5 else "")
        notify(users=list(users), title="审计日志校验未通过", body=shown, url="/audit/")
        cache.set(LAST_ALERT, fingerprint, None)
    return report
