"""One demo account per role, at the demo townships' nodes. Idempotent: every account is found by its
user name, so running it again changes nothing but the demo passwords."""

import secrets
from dataclasses import dataclass

from django.utils import timezone

from .models import ROLE_NODE, Membership, Role, User

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


def seed_demo_accounts(demo):
    """Demo seeder (see portal/registry.py): after the townships; adds `accounts` (what seed_demo prints)
    and `users` by user name."""
    password, baogou, sanguan, yangzhuang = demo.password, demo.baogou, demo.sanguan, demo.yangzhuang
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
        _account("demo_yangzhuang", "演示羊庄镇纪委审核员", Role.TOWNSHIP_REVIEWER, yangzhuang, pw()),
        _account("demo_sanguan", "演示三管镇纪委审核员", Role.TOWNSHIP_REVIEWER, sanguan, pw()),
        _account("demo_city", "演示市清廉村居办", Role.CITY_OFFICE, baogou.region, pw()),
        _account("demo_admin", "演示系统管理员", Role.ADMIN, None, pw(), admin=True),
    ]
    demo.accounts = accounts
    demo.users = {a.username: User.objects.get(username=a.username) for a in accounts}
