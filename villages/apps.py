from django.apps import AppConfig


class VillagesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "villages"
    verbose_name = "组织机构"
