"""The Django admin never bypasses the services: domain records are read-only there, and the few writes it
keeps (accounts, roles, campaign settings, the organisation tree, unlocking) each leave their audit row."""

import datetime
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role, User
from assessments.models import Assessment
from assessments.services.totals import assessment_recompute
from audit.admin_mixins import AuditedAdminMixin
from audit.models import AuditEvent
from audit.services import audit_verify_chain
from ledgers.models import LedgerEntry, LedgerSubmission
from tests.assessments import conftest as campaign_fixtures
from tests.factories import TEST_PASSWORD, user_with_role
from villages.models import Village

standard = campaign_fixtures.standard
cycle = campaign_fixtures.cycle

# The admins that write, and the service each write goes through. Every other registered admin is read-only.
SERVICE_ROUTED = {
    "accounts.User": "accounts.services: user_create, user_update, user_set_active, user_password_set, "
    "membership_grant, membership_revoke",
    "assessments.Campaign": "assessments.services.campaigns.campaign_update",
    "axes.AccessAttempt": "accounts.services.login_attempts_clear (delete only)",
    **{
        f"villages.{name}": "audit.admin_mixins.AuditedAdminMixin"
        for name in (
            "Region",
            "Township",
            "PartyBranch",
            "Village",
            "ResponsibleUnit",
            "WorkingGroupMember",
            "AnnualTarget",
            "CreationBatch",
        )
    },
}


@pytest.fixture
def superuser(db):
    return user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True, username="sysadmin")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def audit_rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _value(bound):
    value = bound.value()
    if isinstance(value, bool):
        return "on" if value else None
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def form_data(page):
    """The POST a browser would send for an admin change page as it stands (fields, inline rows)."""
    data = {}

    def add(form):
        for name in form.fields:
            if form.fields[name].disabled:
                continue
            value = _value(form[name])
            if value is not None:
                data[form.add_prefix(name)] = value

    add(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


# --- every registered admin ---------------------------------------------------------------------------


def test_every_registered_admin_is_read_only_unless_it_routes_its_writes_through_a_service(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    registered = {model._meta.label: model_admin for model, model_admin in admin.site._registry.items()}
    assert set(SERVICE_ROUTED) <= set(registered)
    read_only = []
    for label, model_admin in registered.items():
        inlines = model_admin.get_inline_instances(request)
        if label in SERVICE_ROUTED:
            continue
        read_only.append(label)
        for checked in (model_admin, *inlines):
            assert not checked.has_change_permission(request), label
            assert not checked.has_delete_permission(request), label
        assert not model_admin.has_add_permission(request), label
        assert model_admin.get_actions(request) == {}, label
    assert {
        "assessments.Assessment",
        "audit.AuditEvent",
        "indices.IndexStandard",
        "indices.Indicator",
        "ledgers.LedgerSubmission",
        "auth.Group",
        "axes.AccessLog",
        "axes.AccessFailureLog",
    } <= set(read_only)
    assert not admin.site.is_registered(LedgerEntry) and not admin.site.is_registered(Membership)
    # The organisation tree keeps its admin, each save and delete audited.
    for label, model_admin in registered.items():
        if label.startswith("villages."):
            assert isinstance(model_admin, AuditedAdminMixin), label
    # A lockout record can only be deleted (unlocking), never edited.
    assert not registered["axes.AccessAttempt"].has_change_permission(request)


def test_the_admin_stays_reachable_for_the_administrator_only(client, admin_client, cycle):
    assert admin_client.get("/admin/").status_code == 200
    client.force_login(cycle.reviewer)
    assert client.get("/admin/").status_code == 302


# --- ledgers: deduction_confirmed changes scores, never in the admin -------------------------------------


def test_posting_a_ledger_entry_confirmation_in_the_admin_is_refused_and_the_score_stands(
    admin_client, cycle
):
    org, a = cycle.org, cycle.a["东村"]
    sub = LedgerSubmission.objects.create(unit=org.unit, year=2024, month=5)
    entry = LedgerEntry.objects.create(
        submission=sub,
        seq=1,
        village=org.village,
        category=LedgerEntry.Category.SANZI,
        method=LedgerEntry.Method.ROUTINE,
        checked_on=datetime.date(2024, 5, 10),
        checker="检查组",
        finding="问题1",
        level=LedgerEntry.Level.GENERAL,
        proposed_deduction=Decimal("4"),
        deduction_confirmed=False,
    )
    before = assessment_recompute(a).final_score
    url = reverse("admin:ledgers_ledgersubmission_change", args=[sub.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="entries-0-deduction_confirmed"' not in page.content.decode()
    audits = AuditEvent.objects.count()

    response = admin_client.post(
        url,
        {
            "unit": org.unit.pk,
            "year": 2024,
            "month": 5,
            "status": sub.status,
            "entries-TOTAL_FORMS": "1",
            "entries-INITIAL_FORMS": "1",
            "entries-MIN_NUM_FORMS": "0",
            "entries-MAX_NUM_FORMS": "1000",
            "entries-0-id": entry.pk,
            "entries-0-submission": sub.pk,
            "entries-0-seq": 1,
            "entries-0-village": org.village.pk,
            "entries-0-category": entry.category,
            "entries-0-method": entry.method,
            "entries-0-checked_on": "2024-05-10",
            "entries-0-level": entry.level,
            "entries-0-proposed_deduction": "4",
            "entries-0-deduction_confirmed": "on",
        },
    )

    assert response.status_code == 403
    entry.refresh_from_db()
    assert not entry.deduction_confirmed
    assert Assessment.objects.get(pk=a.pk).final_score == before == assessment_recompute(a).final_score
    assert AuditEvent.objects.count() == audits
    for name in ("add", "delete"):
        args = [] if name == "add" else [sub.pk]
        assert (
            admin_client.get(reverse(f"admin:ledgers_ledgersubmission_{name}", args=args)).status_code == 403
        )


def test_standards_and_audit_rows_are_read_only_in_the_admin(admin_client, cycle):
    std_url = reverse("admin:indices_indexstandard_change", args=[cycle.standard.pk])
    assert admin_client.get(std_url).status_code == 200
    assert admin_client.post(std_url, {"name": "改名"}).status_code == 403
    cycle.standard.refresh_from_db()
    assert cycle.standard.name != "改名"
    event = AuditEvent.objects.order_by("id").first()
    url = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert admin_client.post(url, {"message": "篡改"}).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert audit_verify_chain() is None


# --- roles: granted and revoked through the membership services ---------------------------------------


def test_granting_and_revoking_a_role_in_the_admin_writes_one_audit_row_each(admin_client, superuser, org):
    user = User.objects.create(username="newcomer", full_name="新同事")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = form_data(admin_client.get(url))
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-user": str(user.pk),
            "memberships-0-role": Role.VILLAGE_COMMITTEE,
            "memberships-0-village": str(org.village.pk),
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.village) == (Role.VILLAGE_COMMITTEE, org.village)
    [grant] = audit_rows("membership.grant")
    assert (grant.actor, grant.object_id, grant.detail) == (
        superuser,
        str(user.pk),
        {"role": "village_committee", "node": "东村"},
    )
    assert audit_rows("user.update") == []  # nothing else changed

    page = admin_client.get(url)
    assert 'name="memberships-0-DELETE"' in page.content.decode()  # a grant is shown with its revoke box
    data = form_data(page)
    assert data["memberships-0-id"] == str(membership.pk)
    data["memberships-0-DELETE"] = "on"
    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert not Membership.objects.filter(user=user).exists()
    [revoke] = audit_rows("membership.revoke")
    assert (revoke.actor, revoke.object_id, revoke.message) == (
        superuser,
        str(user.pk),
        "撤销 村两委成员 @ 东村",
    )
    assert len(audit_rows("membership.grant")) == 1
    assert audit_verify_chain() is None


def test_a_grant_is_not_edited_in_place(admin_client, org):
    user = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="cw")
    membership = user.memberships.get()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = admin_client.get(url)
    assert 'name="memberships-0-role"' not in page.content.decode()
    data = form_data(page)
    data["memberships-0-role"] = Role.VILLAGE_SUPERVISOR  # a forged edit of the read-only row
    admin_client.post(url, data)
    membership.refresh_from_db()
    assert membership.role == Role.VILLAGE_COMMITTEE
    assert audit_rows("membership.grant") == audit_rows("membership.revoke") == []


def test_a_role_at_the_wrong_kind_of_node_is_refused_with_nothing_written(admin_client, org):
    user = User.objects.create(username="wrongnode")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = form_data(admin_client.get(url))
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-user": str(user.pk),
            "memberships-0-role": Role.VILLAGE_COMMITTEE,
            "memberships-0-township": str(org.town.pk),
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert not Membership.objects.filter(user=user).exists()
    assert audit_rows("membership.grant") == []


# --- users: created, changed, disabled and given passwords through the user services -------------------


def test_creating_a_user_in_the_admin_goes_through_user_create(admin_client, superuser):
    add = reverse("admin:accounts_user_add")
    data = form_data(admin_client.get(add))
    data.update({"username": "clerk1", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD})
    response = admin_client.post(add, data)
    user = User.objects.get(username="clerk1")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_user_change", args=[user.pk])
    assert user.check_password(TEST_PASSWORD) and not user.must_change_password
    [created] = audit_rows("user.create")
    assert (created.actor, created.object_id, created.message) == (superuser, str(user.pk), "创建用户 clerk1")

    data.update({"username": "sso1", "usable_password": "false", "password1": "", "password2": ""})
    admin_client.post(add, data)
    assert not User.objects.get(username="sso1").has_usable_password()
    assert len(audit_rows("user.create")) == 2


def test_changing_and_disabling_a_user_in_the_admin_is_audited_and_ends_the_sessions(
    client, admin_client, org
):
    user = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="leaving")
    old_name = user.full_name
    other = type(client)()
    other.force_login(user)
    assert Session.objects.count() == 2
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = form_data(admin_client.get(url))
    data.update({"full_name": "离任人员", "is_staff": "on"})
    data.pop("is_active")

    assert admin_client.post(url, data).status_code == 302

    user.refresh_from_db()
    assert (user.full_name, user.is_staff, user.is_active) == ("离任人员", True, False)
    [update] = audit_rows("user.update")
    assert update.detail == {"changes": {"full_name": [old_name, "离任人员"], "is_staff": [False, True]}}
    assert update.message == "修改用户 leaving：姓名、管理后台登录"
    assert len(audit_rows("user.disable")) == 1
    assert Session.objects.count() == 1  # the administrator's own
    assert other.get("/").status_code == 302


def test_the_disable_action_and_the_password_page_go_through_the_services(admin_client, org):
    a = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="u_a")
    b = user_with_role(Role.VILLAGE_SUPERVISOR, org.village, username="u_b")
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "disable_users", "_selected_action": [a.pk, b.pk]},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[a.pk, b.pk], is_active=True).exists()
    assert [e.object_id for e in audit_rows("user.disable")] == [str(a.pk), str(b.pk)]
    choices = (
        admin_client.get(reverse("admin:accounts_user_changelist")).context["action_form"].fields["action"]
    )
    assert "delete_selected" not in {name for name, _ in choices.choices}
    assert admin_client.get(reverse("admin:accounts_user_delete", args=[a.pk])).status_code == 403

    url = reverse("admin:auth_user_password_change", args=[a.pk])
    new = "Qw3!lantern-river"
    response = admin_client.post(url, {"usable_password": "true", "password1": new, "password2": new})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.check_password(new) and a.password_changed_at is not None
    assert [e.object_id for e in audit_rows("user.password_set")] == [str(a.pk)]
    response = admin_client.post(url, {"usable_password": "true", "password1": new, "password2": "different"})
    assert response.status_code == 200 and len(audit_rows("user.password_set")) == 1


# --- campaign settings: through campaign_update ----------------------------------------------------------


def test_editing_a_campaign_in_the_admin_goes_through_campaign_update(admin_client, superuser, cycle):
    c = cycle.campaign
    url = reverse("admin:assessments_campaign_change", args=[c.pk])
    data = form_data(admin_client.get(url))
    data["name"] = "甲镇2024年度测评（调整）"
    assert admin_client.post(url, data).status_code == 302
    c.refresh_from_db()
    assert c.name == "甲镇2024年度测评（调整）"
    [update] = audit_rows("campaign.update")
    assert (update.actor, update.message) == (superuser, "修改甲镇2024年度测评（调整）：名称")

    data["self_deadline"] = (c.city_deadline + datetime.timedelta(days=1)).isoformat()
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "截止日期须依次为" in response.content.decode()
    assert len(audit_rows("campaign.update")) == 1

    c.grades_confirmed_at = timezone.now()
    c.save()
    assert admin_client.post(url, data).status_code == 403


# --- the organisation tree: audited; nodes roles hang on are not deleted ----------------------------------


def test_organisation_records_saved_in_the_admin_leave_an_audit_row(admin_client, superuser, org):
    response = admin_client.post(
        reverse("admin:villages_village_add"),
        {
            "township": org.town.pk,
            "name": "新村",
            "kind": "village",
            "code": "",
            "sort_order": 9,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    village = Village.objects.get(name="新村")
    [created] = audit_rows("admin.create")
    assert (created.actor, created.object_type, created.object_id) == (
        superuser,
        "villages.village",
        str(village.pk),
    )
    assert (created.township_id, created.village_id, created.message) == (
        org.town.pk,
        village.pk,
        "管理后台新增村（社区）：新村",
    )
    url = reverse("admin:villages_village_change", args=[village.pk])
    data = form_data(admin_client.get(url))
    data.pop("is_active")
    assert admin_client.post(url, data).status_code == 302
    [updated] = audit_rows("admin.update")
    assert updated.detail == {"changes": [{"changed": {"fields": ["参与建设"]}}]}
    assert admin_client.get(reverse("admin:villages_village_delete", args=[village.pk])).status_code == 403
    assert admin_client.get(reverse("admin:villages_township_delete", args=[org.town.pk])).status_code == 403


def test_deleting_a_working_group_member_is_audited(admin_client, org):
    from villages.models import WorkingGroupMember

    member = WorkingGroupMember.objects.create(township=org.town, name="张三")
    response = admin_client.post(
        reverse("admin:villages_workinggroupmember_delete", args=[member.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not WorkingGroupMember.objects.exists()
    [deleted] = audit_rows("admin.delete")
    assert (deleted.object_type, deleted.object_id, deleted.township_id) == (
        "villages.workinggroupmember",
        str(member.pk),
        org.town.pk,
    )


# --- unlocking a login ----------------------------------------------------------------------------------


def test_unlocking_in_the_admin_deletes_the_lockout_record_with_an_audit_row(admin_client, superuser):
    attempt = AccessAttempt.objects.create(
        username="locked",
        ip_address="10.0.0.9",
        user_agent="x",
        failures_since_start=5,
        get_data="",
        post_data="",
    )
    response = admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    [unlock] = audit_rows("auth.unlock")
    assert (unlock.actor, unlock.detail) == (superuser, {"username": "locked", "ip": "10.0.0.9"})


def test_every_admin_list_and_record_page_still_renders(admin_client, cycle):
    LedgerSubmission.objects.create(unit=cycle.org.unit, year=2024, month=5)
    AccessAttempt.objects.create(username="x", ip_address="10.0.0.1", user_agent="x", failures_since_start=1)
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, opts.label
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            page = admin_client.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            )
            assert page.status_code == 200, opts.label
