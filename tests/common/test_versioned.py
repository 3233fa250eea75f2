"""common.dataversion.versioned: a value cached under the data versions of what it shows (issue 16)."""

import pytest

pytestmark = pytest.mark.django_db


def test_versioned_values_follow_the_data_version_and_stay_out_of_a_private_cache(org, settings):
    from common.dataversion import data_version_bump, versioned

    calls = []

    def build():
        calls.append(1)
        return len(calls)

    def read():
        return versioned(townships=[org.town.pk], parts=("test",), build=build)

    assert (read(), read()) == (1, 1)
    data_version_bump(townships=[org.other_town.pk])
    assert read() == 1  # another township's write
    data_version_bump(townships=[org.town.pk])
    assert read() == 2
    settings.QL_SHARED_CACHE = False
    assert (read(), read()) == (3, 4)
