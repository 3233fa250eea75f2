import pytest
from django.core.cache import cache

from tests.factories import BranchFactory, RegionFactory, TownshipFactory, UnitFactory, VillageFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: throttle counters and cached public pages do not carry over
    from the tests before it in the same worker."""
    cache.clear()


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(settings, tmp_path):
    """Each test checkpoints the audit chain into its own file: rows of earlier tests were rolled back."""
    settings.QL_AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.log")


@pytest.fixture
def org(db):
    """Two townships of one city and one of another, each with a branch, villages and a unit.

    own_*: the nodes a test user belongs to; other_*: siblings the user must not reach.
    """
    return make_org()


def make_org():
    """The tree of the `org` fixture, for fixtures of a wider scope that build it themselves."""
    city = RegionFactory(name="甲市")
    other_city = RegionFactory(name="乙市")
    town = TownshipFactory(region=city, name="甲镇")
    other_town = TownshipFactory(region=city, name="乙镇")
    far_town = TownshipFactory(region=other_city, name="丙镇")
    branch = BranchFactory(township=town, name="第一党总支")
    other_branch = BranchFactory(township=town, name="第二党总支")
    village = VillageFactory(township=town, branch=branch, name="东村")
    sibling = VillageFactory(township=town, branch=branch, name="西村")
    cousin = VillageFactory(township=town, branch=other_branch, name="南村")
    foreign = VillageFactory(township=other_town, name="北村")
    far = VillageFactory(township=far_town, name="远村")
    unit = UnitFactory(township=town, name="经管站")
    unit.villages.set([village, cousin])
    other_unit = UnitFactory(township=town, name="民政科")
    other_unit.villages.set([sibling])

    class Org:
        pass

    o = Org()
    o.__dict__.update(locals())
    return o
