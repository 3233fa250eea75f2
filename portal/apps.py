from django.apps import AppConfig


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = "首页"

    def ready(self):
        from .registry import autodiscover

        autodiscover()
