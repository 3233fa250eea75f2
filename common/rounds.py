"""The kinds of evaluation round (测评轮次) a township may hold in one year.

Shared by villages (the township's targets are per round kind) and assessments (the campaign's kind);
it lives here because villages sits below assessments and both need the same codes.
"""

from django.db import models


class RoundKind(models.TextChoices):
    ANNUAL = "annual", "年度测评"
    PILOT = "pilot", "试点验收"
    MIDTERM = "midterm", "中期评估"
    FINAL = "final", "终期评估"
