"""The reports' own refusal, in a module of its own so that every service (and the builders that the
job runner calls) can raise it without importing the runner."""

from common.errors import ApplicationError


class ExportError(ApplicationError):
    """A reason the export cannot be built, shown to the user in Chinese."""
