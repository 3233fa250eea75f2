from .errors import ExportError
from .jobs import export_request, export_run, job_is_stale

__all__ = ["ExportError", "export_request", "export_run", "job_is_stale"]
