from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "测评"

    def ready(self):
        # The measures of computed township indicators this app holds (indices/formulas.py registry).
        from .computed import register

        register()
        from . import signals  # noqa: F401  (the cached campaign rows renewed on every write)
