"""The public pages' cache: rendered pages keyed by the address's key and a publication generation that
every publish and withdrawal bumps (after commit), so a change anywhere is visible at once and a cache
hit costs no query."""

from django.core.cache import cache

GENERATION = "publication:generation"
TIMEOUT = 60 * 60


def generation():
    gen = cache.get(GENERATION)
    if gen is None:
        cache.add(GENERATION, 1, None)
        gen = cache.get(GENERATION, 1)
    return gen


def bump():
    try:
        cache.incr(GENERATION)
    except ValueError:
        cache.set(GENERATION, 2, None)


def page_key(kind, *parts):
    return ":".join(["publication", "page", kind, str(generation()), *(str(p) for p in parts)])
