from django.urls import path

from .views import ledger, rectification, tasks

app_name = "ledgers"

urlpatterns = [
    # Monthly ledgers and compliance
    path("", ledger.ledger_list, name="ledger_list"),
    path("compliance/", ledger.compliance, name="compliance"),
    path("open/", ledger.ledger_open, name="ledger_open"),
    path("units/<int:unit_pk>/<int:year>/<int:month>/", ledger.ledger_edit, name="ledger_edit"),
    path(
        "units/<int:unit_pk>/<int:year>/<int:month>/template/", ledger.ledger_template, name="ledger_template"
    ),
    path("units/<int:unit_pk>/<int:year>/<int:month>/upload/", ledger.ledger_upload, name="ledger_upload"),
    path("units/<int:unit_pk>/<int:year>/<int:month>/submit/", ledger.ledger_submit, name="ledger_submit"),
    path("entries/<int:pk>/confirm/", ledger.entry_confirm, name="entry_confirm"),
    # Rectification
    path("rectifications/", rectification.rectification_list, name="rectification_list"),
    path("rectifications/new/", rectification.rectification_create, name="rectification_create"),
    path("rectifications/<int:pk>/", rectification.rectification_detail, name="rectification_detail"),
    path(
        "rectifications/<int:pk>/respond/", rectification.rectification_respond, name="rectification_respond"
    ),
    path("rectifications/<int:pk>/verify/", rectification.rectification_verify, name="rectification_verify"),
    path(
        "rectifications/<int:pk>/evidence/",
        rectification.rectification_evidence_upload,
        name="rectification_evidence_upload",
    ),
    path(
        "rectification-files/<uuid:evidence_pk>/",
        rectification.rectification_evidence_download,
        name="rectification_evidence_download",
    ),
    path("entries/<int:pk>/rectify/", ledger.entry_rectify, name="entry_rectify"),
    # Plan tasks
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/import/", tasks.task_import, name="task_import"),
    path("tasks/new/", tasks.task_create, name="task_create"),
    path("tasks/export/", tasks.task_export, name="task_export"),
    path("tasks/monthly/", tasks.task_monthly, name="task_monthly"),
    path("tasks/mine/", tasks.subtask_list, name="subtask_list"),
    path("tasks/<int:pk>/edit/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/close/", tasks.task_close, name="task_close"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen, name="task_reopen"),
    path("tasks/shares/<int:pk>/", tasks.subtask_progress, name="subtask_progress"),
    path("task-files/<uuid:evidence_pk>/", tasks.task_evidence_download, name="task_evidence_download"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/progress/", tasks.task_progress, name="task_progress"),
]
