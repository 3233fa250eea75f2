import copy
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from indices.models import (
    BonusItem,
    Dimension,
    Grade,
    IndexStandard,
    Indicator,
    ScoringRule,
    SupervisionDeductionItem,
    VetoItem,
)

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "standards"
VILLAGE = SAMPLES / "village_index_standard.sample.yaml"
TOWNSHIP = SAMPLES / "township_index_standard.sample.yaml"
ALL_MODELS = (
    IndexStandard,
    Dimension,
    Indicator,
    ScoringRule,
    BonusItem,
    SupervisionDeductionItem,
    VetoItem,
    Grade,
)
_CACHE = {}


def sample(path=VILLAGE):
    """A fresh deep copy of a sample standard as Python data, to mutate in a test."""
    if path not in _CACHE:
        _CACHE[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return copy.deepcopy(_CACHE[path])


def dump(data):
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def row_counts():
    return {m.__name__: m.objects.count() for m in ALL_MODELS}


def nothing_written():
    return all(n == 0 for n in row_counts().values())


@pytest.fixture
def write_yaml(tmp_path):
    """Write a (mutated) sample to a temporary .yaml file and return its path."""

    def write(data, name="standard.yaml"):
        path = tmp_path / name
        path.write_bytes(dump(data) if not isinstance(data, bytes) else data)
        return path

    return write
