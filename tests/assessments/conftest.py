"""A campaign on the sample village standard for 甲镇 (东村, 西村 in branch 1; 南村 in branch 2)."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfWriter

from accounts.models import Role
from assessments.models import Assessment, Evidence, Signoff, VetoCheck
from assessments.services.campaigns import campaign_create
from indices.services import standard_import
from tests.factories import user_with_role

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "standards" / "village_index_standard.sample.yaml"


def make_pdf(title=None, pages=1):
    """A small real PDF (pypdf): uploads are parsed now, so a stand-in without xref or pages is refused."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if title:
        writer.add_metadata({"/Title": title})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


PDF_BYTES = make_pdf()


@pytest.fixture
def standard(db):
    with SAMPLE.open("rb") as fh:
        return standard_import(source=fh, fmt="yaml", actor=None, year=2024)


@pytest.fixture
def cycle(org, standard):
    """The campaign, its assessments by village name, and one user per side."""
    today = datetime.date.today()
    campaign = campaign_create(
        actor=None,
        township=org.town,
        year=2024,
        standard=standard,
        self_deadline=today + datetime.timedelta(days=10),
        submission_deadline=today + datetime.timedelta(days=15),
        city_deadline=today + datetime.timedelta(days=25),
    )

    class Cycle:
        pass

    c = Cycle()
    c.org = org
    c.campaign = campaign
    c.standard = standard
    c.a = {a.village.name: a for a in Assessment.objects.filter(campaign=campaign).select_related("village")}
    c.committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="cw_dong")
    c.supervisor = user_with_role(Role.VILLAGE_SUPERVISOR, org.village, username="jw_dong")
    c.secretary = user_with_role(Role.BRANCH_SECRETARY, org.branch, username="zz_1")
    c.reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jiwei_jia")
    c.leader = user_with_role(Role.TOWNSHIP_LEADER, org.town, username="leader_jia")
    c.city = user_with_role(Role.CITY_OFFICE, org.city, username="city_jia")
    return c


def fill_self(assessment, committee, supervisor, score="max"):
    """Make an assessment ready to submit: every village-scored indicator scored, vetoes answered,
    the stamped form uploaded and both sign-offs for the coming round."""
    for s in assessment.scores.select_related("indicator"):
        if s.indicator.scored_by == "village_and_township":
            s.self_score = s.indicator.max_score if score == "max" else score
            s.save()
    VetoCheck.objects.filter(assessment=assessment).update(self_answer=False)
    Evidence.objects.create(
        assessment=assessment,
        kind=Evidence.Kind.APPLICATION_FORM,
        file=ContentFile(PDF_BYTES, name="form.pdf"),
        original_name="申请表（盖章）.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
        uploaded_by=committee,
    )
    Signoff.objects.create(
        assessment=assessment, side="committee", round=assessment.round + 1, user=committee
    )
    Signoff.objects.create(
        assessment=assessment, side="supervisor", round=assessment.round + 1, user=supervisor
    )
