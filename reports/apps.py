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

        # The package's parts are named in a JSON column, not a FileField: the sweeper must know them.
        from common.storage import register_file_references

        from .services.package import part_storage_names

        register_file_references(part_storage_names)

        # Several machines need a storage they all reach (issue 16); common is no app of its own.
        from django.core.checks import register

        from common.checks import storage_shared_check

        register(storage_shared_check, deploy=True)
