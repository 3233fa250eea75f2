"""What each app contributes to the pages that span the domain: the home page's cards and pending work,
and the demo data.

portal sits at the top of the house and the apps it assembles sit below it, so they may not import
this module (nothing imports upward, also not inside a function). An app therefore *declares* its
contributions as plain data in its own `portal.py`, and `autodiscover()` (run once from
`PortalConfig.ready()`) imports those modules and registers what they declare:

    # <app>/portal.py
    HOME_PENDING = [(10, my_pending)]   # fn(user, scope) -> iterable of (title, text, url)
    HOME_CARDS = [(120, my_cards)]      # fn(user, scope) -> iterable of (title, text, url)
    DEMO = [(40, seed_my_demo)]         # fn(demo): demo is one namespace shared by every seeder

Orders are integers, unique per kind across all apps, and decide the order on the page and in the
demo; adding an app never edits portal. The `register_*` functions are the same registration for code
that may import portal (portal itself, the apps beside it at the top, tests).

Demo seeders run in order inside one transaction. `demo.password` is the shared password or None;
each seeder adds what the later ones need (`baogou`, `sanguan`, `standards`, `accounts`, `users`).
"""

from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules, module_has_submodule

MODULE = "portal"
DECLARATIONS = {"HOME_PENDING": "pending", "HOME_CARDS": "cards", "DEMO": "demo"}


class Registry:
    def __init__(self):
        self._providers = {kind: {} for kind in DECLARATIONS.values()}

    def register(self, kind, order, fn):
        providers = self._providers[kind]
        if not isinstance(order, int):
            raise ImproperlyConfigured(f"portal: the order of {fn!r} must be an integer, not {order!r}.")
        taken = providers.get(order)
        if taken is not None and taken is not fn:
            raise ImproperlyConfigured(
                f"portal: {kind} order {order} is taken by {taken!r}, not free for {fn!r}."
            )
        providers[order] = fn
        return fn

    def providers(self, kind):
        """The registered functions of one kind, in their order."""
        providers = self._providers[kind]
        return [providers[order] for order in sorted(providers)]

    def register_pending(self, order, fn):
        return self.register("pending", order, fn)

    def register_cards(self, order, fn):
        return self.register("cards", order, fn)

    def register_demo(self, order, fn):
        return self.register("demo", order, fn)

    def pending(self, user, scope):
        for fn in self.providers("pending"):
            yield from fn(user, scope)

    def cards(self, user, scope):
        for fn in self.providers("cards"):
            yield from fn(user, scope)

    def demo_seeders(self):
        return self.providers("demo")

    def register_module(self, module):
        """Register what one app's `portal` module declares."""
        for name, kind in DECLARATIONS.items():
            for order, fn in getattr(module, name, ()):
                self.register(kind, order, fn)


registry = Registry()
register_pending = registry.register_pending
register_cards = registry.register_cards
register_demo = registry.register_demo


def autodiscover():
    """Import every installed app's `portal` module and register its declarations."""
    autodiscover_modules(MODULE)
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, MODULE):
            registry.register_module(import_module(f"{app_config.name}.{MODULE}"))
