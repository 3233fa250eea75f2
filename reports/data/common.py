"""What the documents of both kinds share: the score format and the graded statuses."""

from decimal import Decimal

from django.db.models import DecimalField

from assessments.models import Assessment
from assessments.scoring import normal

DEC = DecimalField(max_digits=9, decimal_places=2)
GRADED = (Assessment.Status.REVIEWED, Assessment.Status.CONFIRMED)
ZERO = Decimal("0")


def fmt(value):
    """A score as the forms print it: 8, 7.5, 98.25; blank for None."""
    return "" if value is None else normal(value)
