from django.apps import AppConfig


class LedgersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ledgers"
    verbose_name = "日常监管台账"
