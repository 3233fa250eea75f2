"""The demo townships from fixtures/demo/: 鲍沟镇 and 羊庄镇 under 滕州市 (so the city dashboard compares two
townships), and 三管镇 under 临猗县. Idempotent: every object is found by its natural key, so loading again
changes nothing."""

from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings

from .models import (
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

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_TOWNSHIPS = ("demo/baogou.yaml", "demo/sanguan.yaml", "demo/yangzhuang.yaml")
KIND_LABELS = {"组长": "leader", "副组长": "deputy", "成员": "member"}


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
            kind=target.get("kind", AnnualTarget.Kind.ANNUAL),
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


def seed_demo_townships(demo):
    """Demo seeder (see portal/registry.py): adds `baogou`, `sanguan` and `yangzhuang`."""
    demo.baogou = load_township(FIXTURES / DEMO_TOWNSHIPS[0])
    demo.sanguan = load_township(FIXTURES / DEMO_TOWNSHIPS[1])
    demo.yangzhuang = load_township(FIXTURES / DEMO_TOWNSHIPS[2])
