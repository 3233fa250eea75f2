"""Factories for the organisation, users and roles. Names are invented; no real people."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Role, User
from villages.models import PartyBranch, Region, ResponsibleUnit, Township, Village

TEST_PASSWORD = "Zx9!kettle-lamp"


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试市{n}")


class TownshipFactory(DjangoModelFactory):
    class Meta:
        model = Township

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"测试镇{n}")


class BranchFactory(DjangoModelFactory):
    class Meta:
        model = PartyBranch

    township = factory.SubFactory(TownshipFactory)
    name = factory.Sequence(lambda n: f"第{n}党总支")


class VillageFactory(DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    branch = None
    name = factory.Sequence(lambda n: f"测试村{n}")


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = ResponsibleUnit

    township = factory.SubFactory(TownshipFactory)
    name = factory.Sequence(lambda n: f"责任单位{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with_role(role, node=None, **kwargs):
    """A user holding `role` at `node` (None for the administrator)."""
    from accounts.models import ROLE_NODE

    user = UserFactory(**kwargs)
    field = ROLE_NODE[Role(role)]
    Membership.objects.create(user=user, role=role, **({field: node} if field else {}))
    return user
