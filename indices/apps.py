from django.apps import AppConfig


class IndicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "indices"
    verbose_name = "指数标准"
