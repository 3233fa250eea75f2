"""The sample village and township index standards from fixtures/standards/, under a version name written
for users ("2024年版") rather than the fixture's file version. Idempotent: a standard of the same code and
year that exists is left as it is (also one loaded by an older demo under the fixture's version)."""

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


def demo_version(year):
    """The version name the demo's standards carry: what a township would call it."""
    return f"{year}年版"


def load_standards():
    loaded = []
    for rel, year in DEMO_STANDARDS:
        path = FIXTURES / rel
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))["meta"]
        existing = IndexStandard.objects.filter(code=meta["code"], year=year).order_by("pk").first()
        if existing is None:
            text = path.read_text(encoding="utf-8")
            fixture_version = f'version: "{meta["version"]}"'
            if fixture_version not in text:
                raise ValueError(f"{rel}: meta.version is not written as {fixture_version}")
            source = text.replace(fixture_version, f'version: "{demo_version(year)}"', 1).encode("utf-8")
            existing = standard_import(source=source, fmt="yaml", actor=None, year=year)
        loaded.append(existing)
    return loaded


def seed_demo_standards(demo):
    """Demo seeder (see portal/registry.py): adds `standards`, the village standard first."""
    demo.standards = load_standards()
