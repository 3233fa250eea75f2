from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "报表"

    def ready(self):
        # Wire the services to their Celery task here, so that the services never import reports.tasks
        # (tasks → services only).
        from .services.jobs import set_build_task
        from .tasks import export_build

        set_build_task(export_build)

        # Several machines need a storage they all reach (issue 16); common is no app of its own.
        from django.core.checks import register

        from common.checks import storage_shared_check

        register(storage_shared_check, deploy=True)
