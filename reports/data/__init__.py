"""What the printed forms and workbooks show, read once and shared by the PDF and the Excel formatters
(report generator separate from its formatters, as in django-oscar's dashboard reports).

Per-village documents (`village`) make a fixed number of queries per village; campaign-wide tables
(`campaign`) make a fixed number of queries whatever the number of villages (aggregation in SQL).
"""

from .campaign import (
    CampaignRow,
    CampaignTable,
    MatrixTable,
    campaign_dimension_scores,
    campaign_matrix,
    campaign_table,
    competition_ranks,
    grade_name,
)
from .common import DEC, GRADED, ZERO, fmt
from .village import (
    BonusRow,
    DimensionBlock,
    SheetRow,
    SignoffRow,
    VetoRow,
    VillageDocument,
    mask_review,
    village_document,
)

__all__ = [
    "DEC",
    "GRADED",
    "ZERO",
    "BonusRow",
    "CampaignRow",
    "CampaignTable",
    "DimensionBlock",
    "MatrixTable",
    "SheetRow",
    "SignoffRow",
    "VetoRow",
    "VillageDocument",
    "campaign_dimension_scores",
    "campaign_matrix",
    "campaign_table",
    "competition_ranks",
    "fmt",
    "grade_name",
    "mask_review",
    "village_document",
]
