from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "报表"

    def ready(self):
        # Wire the services to their Celery task here, so that the services never import reports.tasks
        # (tasks → services only).
        from .services.jobs import set_build_task
        from .tasks import export_build, package_assemble, package_village

        set_build_task(export_build, village=package_village, assemble=package_assemble)
