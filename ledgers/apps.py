from django.apps import AppConfig


class LedgersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ledgers"
    verbose_name = "日常监管台账"

    def ready(self):
        # Confirmed ledger problems feed the village's supervision deduction. assessments sits below
        # ledgers and may not import it, so ledgers registers its source there (assessments/deductions.py).
        from assessments.deductions import register_supervision_source

        from .deductions import ledger_deduction_amounts, ledger_deduction_entries

        register_supervision_source(amounts=ledger_deduction_amounts, entries=ledger_deduction_entries)
        from .computed import register as register_measures

        register_measures()
