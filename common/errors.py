"""The project's error base: a refused operation that carries a message for the user (in Chinese).

Services raise these and views show `message` (``str(e)`` gives the same text)::

    ApplicationError          a refused operation; the apps' own errors derive from it or from:
    ├── ConflictError         someone else saved the same row first (optimistic locking)
    ├── LockedError           the thing is locked and can no longer change
    ├── InvalidInputError     a value or an uploaded file is refused
    ├── NotPermittedError     the actor is not the side that may take this step
    └── NotFoundError         the row the step needs is gone

An app's error that callers have always caught as ``ValueError`` also derives from ``ValueError``
(``class UploadError(InvalidInputError, ValueError)``), so existing ``except ValueError`` still applies.
"""


class ApplicationError(Exception):
    """A refused operation; `message` is the text shown to the user."""

    default_message = ""

    def __init__(self, message=None):
        self.message = self.default_message if message is None else message
        super().__init__(self.message)

    def __str__(self):
        return str(self.message)


class ConflictError(ApplicationError):
    """Someone else saved the same row since this user loaded it: `current` is what is stored now (when
    the caller has it to show side by side)."""

    default_message = "该内容已被他人修改，您的修改未保存。请核对最新内容后重新保存。"

    def __init__(self, message=None, *, current=None):
        self.current = current
        super().__init__(message)


class LockedError(ApplicationError):
    """The object is locked (in use, confirmed, closed) and can no longer be changed."""


class InvalidInputError(ApplicationError):
    """A value or an uploaded file that cannot be accepted."""


class NotPermittedError(ApplicationError):
    """The actor is not the side that may take this step (decided by the access table, not here)."""

    default_message = "您无权进行此操作。"


class NotFoundError(ApplicationError):
    """The row a step needs no longer exists (deleted by someone else meanwhile)."""

    default_message = "该记录不存在或已被删除。"
