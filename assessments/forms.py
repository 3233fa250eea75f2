"""Forms of the self-assessment pages. They parse and type the request; the services hold the rules
(caps, precision, states), so every refusal reads the same whether it comes from a form or a service."""

from django import forms

from common.forms import CleanTextMixin
from common.text import LONG_LIMIT

from .models import Assessment, Evidence, Signoff
from .services.self_assessment import ACHIEVEMENTS_MAX, FORM_FIELDS, PROBLEMS_MAX


class VersionMixin(CleanTextMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ApplicationForm(CleanTextMixin, forms.Form):
    """《“清廉村居”建设申请表》 fields kept on the assessment (FORMS.md); only these fields are ever read."""

    # the service words the 3,000-character limit of 存在问题; the cleaner's limit is the backstop above it
    text_limits = {"problems": LONG_LIMIT}

    def __init__(self, *args, grades=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Assessment,
                fields=FORM_FIELDS,
                widgets={
                    "achievements": forms.Textarea(attrs={"rows": 8, "maxlength": ACHIEVEMENTS_MAX}),
                    "problems": forms.Textarea(attrs={"rows": 5, "maxlength": PROBLEMS_MAX}),
                },
            )
        )
        self.fields["applied_grade"] = forms.ChoiceField(
            label="申报等次",
            required=False,
            choices=[("", "（请选择）"), *[(g.code, g.name) for g in grades]],
        )
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
        for name in ("households", "population", "party_members", "committee_members", "collective_income"):
            self.fields[name].widget.attrs["min"] = 0

    @classmethod
    def for_assessment(cls, assessment, grades, data=None):
        initial = {name: getattr(assessment, name) for name in FORM_FIELDS}
        initial["version"] = assessment.version
        return cls(data, initial=initial, grades=grades)

    def clean_achievements(self):
        text = (self.cleaned_data.get("achievements") or "").replace("\r\n", "\n").strip()
        if len(text) > ACHIEVEMENTS_MAX:
            raise forms.ValidationError(
                f"主要做法与成效不能超过 {ACHIEVEMENTS_MAX:,} 字（现为 {len(text):,} 字）。"
            )
        return text


class BonusClaimForm(CleanTextMixin, forms.Form):
    bonus_item = forms.IntegerField(widget=forms.HiddenInput)
    points = forms.CharField(label="申报加分", max_length=20)
    explanation = forms.CharField(label="加分事由", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    delete = forms.BooleanField(required=False)


class VetoForm(VersionMixin):
    answer = forms.TypedChoiceField(
        label="是否存在该情形",
        choices=[("yes", "是"), ("no", "否")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择“是”或“否”。"},
    )
    note = forms.CharField(label="说明", max_length=300, required=False)


class SignoffForm(CleanTextMixin, forms.Form):
    side = forms.ChoiceField(choices=Signoff.Side.choices)
    opinion = forms.CharField(label="意见", max_length=300, required=False)


class EvidenceUploadForm(CleanTextMixin, forms.Form):
    kind = forms.ChoiceField(choices=Evidence.Kind.choices)
    indicator = forms.IntegerField(required=False)
    bonus_claim = forms.IntegerField(required=False)
