"""The campaign fixtures of the assessment tests, shared with the home page tests."""

from tests.assessments.conftest import cycle, standard  # noqa: F401
