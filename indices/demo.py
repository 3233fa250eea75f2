"""The sample village and township index standards from fixtures/standards/. Idempotent: a standard
that exists (same code, year and version) is left as it is."""

from pathlib import Path

import yaml
from django.conf import settings

from .models import IndexStandard
from .services import standard_import

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_STANDARDS = (
    ("standards/village_index_standard.sample.yaml", 2024),
    ("standards/township_index_standard.sample.yaml", 2024),
)


def load_standards():
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


def seed_demo_standards(demo):
    """Demo seeder (see portal/registry.py): adds `standards`, the village standard first."""
    demo.standards = load_standards()
