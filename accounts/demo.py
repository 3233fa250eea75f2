"""Loads the demo townships, the sample standards and one account per role. Idempotent: every object is
found by its natural key, so running it again changes nothing but the demo passwords."""

import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from villages.models import (
    AnnualTarget,
    AnnualTargetGrade,
    CreationBatch,
    PartyBranch,
    Region,
    ResponsibleUnit,
    Township,
    Village,
    WorkingGroupMember,
)

from .models import ROLE_NODE, Membership, Role, User

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_TOWNSHIPS = ("demo/baogou.yaml", "demo/sanguan.yaml")
DEMO_STANDARDS = (
    ("standards/village_index_standard.sample.yaml", 2024),
    ("standards/township_index_standard.sample.yaml", 2024),
)
KIND_LABELS = {"组长": "leader", "副组长": "deputy", "成员": "member"}
_WORDS = ("Maple", "River", "Cedar", "Harbor", "Lantern", "Meadow", "Summit", "Willow", "Orchid", "Pebble")


@dataclass
class DemoAccount:
    role: Role
    username: str
    password: str
    where: str


def _password():
    """A readable random password that passes every validator (three words, digits, a symbol)."""
    words = [secrets.choice(_WORDS) for _ in range(2)]
    return f"{words[0]}-{words[1].lower()}-{secrets.randbelow(9000) + 1000}"


def load_township(path):
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    region, _ = Region.objects.get_or_create(
        name=data["region"]["name"], defaults={"kind": data["region"]["kind"]}
    )
    t = data["township"]
    township, _ = Township.objects.update_or_create(
        region=region,
        name=t["name"],
        defaults={"kind": t["kind"], "ledger_due_day": t.get("ledger_due_day", 2)},
    )
    villages = {}
    order = 0
    for b_order, branch_data in enumerate(data["branches"], start=1):
        branch = None
        if branch_data.get("name"):
            branch, _ = PartyBranch.objects.update_or_create(
                township=township, name=branch_data["name"], defaults={"sort_order": b_order}
            )
        for name in branch_data["villages"]:
            order += 1
            kind = Village.Kind.COMMUNITY if name.endswith("社区") else Village.Kind.VILLAGE
            villages[name], _ = Village.objects.update_or_create(
                township=township,
                name=name,
                defaults={"branch": branch, "kind": kind, "sort_order": order, "code": f"{order:03d}"},
            )
    units = {}
    for u_order, u in enumerate(data.get("units", []), start=1):
        unit, _ = ResponsibleUnit.objects.update_or_create(
            township=township,
            name=u["name"],
            defaults={
                "leader_name": u.get("leader", ""),
                "contact_name": u.get("contact", ""),
                "areas": u.get("areas", []),
                "sort_order": u_order,
            },
        )
        chosen = (
            list(villages.values()) if u.get("villages") == "全部" else [villages[n] for n in u["villages"]]
        )
        unit.villages.set(chosen)
        units[unit.name] = unit
    WorkingGroupMember.objects.filter(township=township).delete()
    WorkingGroupMember.objects.bulk_create(
        WorkingGroupMember(
            township=township,
            name=m["name"],
            position=m.get("position", ""),
            group_role=KIND_LABELS[m["group_role"]],
            unit=units.get(m.get("unit")),
            sort_order=i,
        )
        for i, m in enumerate(data.get("working_group", []), start=1)
    )
    for target in data.get("targets", []):
        share = target.get("share_percent")
        obj, _ = AnnualTarget.objects.update_or_create(
            township=township,
            year=target["year"],
            defaults={
                "mode": target["mode"],
                "share_percent": Decimal(str(share)) if share is not None else None,
                "cumulative": target.get("cumulative", False),
                "note": target.get("note", ""),
            },
        )
        obj.grade_counts.all().delete()
        AnnualTargetGrade.objects.bulk_create(
            AnnualTargetGrade(target=obj, grade_code=code, grade_name=name, count=count, sort_order=i)
            for i, (code, name, count) in enumerate(target.get("grades", []))
        )
    for batch in data.get("batches", []):
        for name in batch["villages"]:
            CreationBatch.objects.update_or_create(
                village=villages[name],
                defaults={
                    "township": township,
                    "year": batch["year"],
                    "is_benchmark": name == batch["benchmark"],
                },
            )
    return township


def load_standards():
    from indices.models import IndexStandard
    from indices.services import standard_import

    loaded = []
    for rel, year in DEMO_STANDARDS:
        path = FIXTURES / rel
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))["meta"]
        existing = IndexStandard.objects.filter(
            code=meta["code"], year=year, version=str(meta["version"])
        ).first()
        if existing is None:
            with path.open("rb") as fh:
                existing = standard_import(source=fh, fmt="yaml", actor=None, year=year)
        loaded.append(existing)
    return loaded


def _account(username, full_name, role, node, password, *, admin=False):
    user, _ = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
    user.full_name = full_name
    user.email = user.email or f"{username}@example.invalid"  # invented: reminder digests need an address
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = False
    user.is_active = True
    user.is_staff = admin
    user.is_superuser = admin
    user.save()
    field = ROLE_NODE[role]
    Membership.objects.get_or_create(user=user, role=role, **({field: node} if field else {}))
    return DemoAccount(role=role, username=username, password=password, where=str(node) if node else "全局")


@transaction.atomic
def seed_demo(password=None):
    if password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password)
    baogou = load_township(FIXTURES / DEMO_TOWNSHIPS[0])
    sanguan = load_township(FIXTURES / DEMO_TOWNSHIPS[1])
    standards = load_standards()
    branch = baogou.branches.order_by("sort_order").first()
    village = branch.villages.order_by("sort_order").first()
    unit = baogou.units.get(name="经管站")

    def pw():
        return password or _password()

    accounts = [
        _account("demo_village", "演示村两委委员", Role.VILLAGE_COMMITTEE, village, pw()),
        _account("demo_supervisor", "演示村监委会委员", Role.VILLAGE_SUPERVISOR, village, pw()),
        _account("demo_branch", "演示党总支书记", Role.BRANCH_SECRETARY, branch, pw()),
        _account("demo_unit", "演示责任单位人员", Role.UNIT_STAFF, unit, pw()),
        _account("demo_jiwei", "演示镇纪委审核员", Role.TOWNSHIP_REVIEWER, baogou, pw()),
        _account("demo_leader", "演示镇领导", Role.TOWNSHIP_LEADER, baogou, pw()),
        _account("demo_sanguan", "演示三管镇纪委审核员", Role.TOWNSHIP_REVIEWER, sanguan, pw()),
        _account("demo_city", "演示市清廉村居办", Role.CITY_OFFICE, baogou.region, pw()),
        _account("demo_admin", "演示系统管理员", Role.ADMIN, None, pw(), admin=True),
    ]
    from assessments.demo import seed_campaigns

    users = {a.username: User.objects.get(username=a.username) for a in accounts}
    seed_campaigns(
        township=baogou,
        village_standard=standards[0],
        committee=users["demo_village"],
        supervisor=users["demo_supervisor"],
        city_user=users["demo_city"],
    )
    from ledgers.demo import seed_ledgers

    seed_ledgers(township=baogou, reviewer=users["demo_jiwei"])
    return accounts
