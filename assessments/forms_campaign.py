"""Forms of the campaign pages. Querysets are passed in already scoped by the view; the forms only
validate input. Business rules (date order, duplicate year, standard level) live in the services."""

from django import forms
from django.utils import timezone

from common.forms import CleanTextMixin
from common.rounds import RoundKind
from indices.importing.validator import YEAR_RANGE
from villages.models import AnnualTarget

from .services.campaigns import default_deadlines

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
DEADLINES = ("self_deadline", "submission_deadline", "city_deadline")


def _standard_label(s):
    return f"{s.name}（{s.label}，{s.get_status_display()}）"


class CampaignCreateForm(CleanTextMixin, forms.Form):
    """A new campaign. Deadlines left blank take the year's defaults (6月25日、6月30日、7月10日)."""

    year = forms.IntegerField(label="年度", min_value=YEAR_RANGE[0], max_value=YEAR_RANGE[1])
    standard = forms.ModelChoiceField(label="指数标准", queryset=None, empty_label=None)
    name = forms.CharField(
        label="名称",
        max_length=100,
        required=False,
        help_text="留空则自动生成，如“某镇2025年度“清廉村居”测评”“某镇2025年度“清廉村居”中期评估”",
    )
    self_deadline = forms.DateField(label="自评截止日", required=False, **DATE)
    submission_deadline = forms.DateField(label="报送截止日", required=False, **DATE)
    city_deadline = forms.DateField(label="报市截止日", required=False, **DATE)

    def __init__(self, *args, standards, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["year"].initial = year
        # Not prefilled: a date prefilled for this year would stay wrong if the year is changed.
        for field, day in zip(DEADLINES, default_deadlines(year), strict=True):
            self.fields[field].help_text = f"留空则为所填年度的{day.month}月{day.day}日"
        self.fields["standard"].queryset = standards
        self.fields["standard"].label_from_instance = _standard_label
        level = "村级" if villages is not None else "镇街"
        self.fields["standard"].error_messages["invalid_choice"] = f"请选择本辖区适用的{level}指数标准。"
        if villages is not None:
            self.fields["kind"] = forms.ChoiceField(
                label="测评轮次",
                choices=RoundKind.choices,
                initial=RoundKind.ANNUAL,
                required=False,  # a post without it (older pages, scripts) is the annual round
                help_text="同一年度可另设试点验收、中期评估、终期评估，各有自己的参评村、目标和时间；"
                "每种轮次每年一次。",
            )
            self.fields["villages"] = forms.ModelMultipleChoiceField(
                label="参评村（社区）",
                queryset=villages,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": "请至少选择一个参评村（社区）。"},
                help_text="默认全部参与建设的村（社区）参评；取消勾选即不参加本轮测评（如试点验收只选试点村）。",
            )
            if not self.is_bound:
                self.initial["villages"] = [v.pk for v in villages]

    def clean(self):
        data = super().clean()
        if "kind" in self.fields and not data.get("kind"):
            data["kind"] = RoundKind.ANNUAL
        year = data.get("year")
        if year:
            for field, day in zip(DEADLINES, default_deadlines(year), strict=True):
                if field not in self.errors and not data.get(field):
                    data[field] = day
        return data


class CampaignEditForm(CleanTextMixin, forms.Form):
    """Name and deadlines. A deadline may be blank (the services allow a campaign without one), so the
    form saves as loaded whatever the campaign was created with."""

    name = forms.CharField(label="名称", max_length=100)
    self_deadline = forms.DateField(label="自评截止日", required=False, **DATE)
    submission_deadline = forms.DateField(label="报送截止日", required=False, **DATE)
    city_deadline = forms.DateField(label="报市截止日", required=False, **DATE)
    # The version of the settings the page was loaded with (services.campaigns.settings_fingerprint).
    seen = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)


class TargetForm(CleanTextMixin, forms.Form):
    """The township's target for the year, in the grade scheme of the campaign's standard.

    By grade counts, a grade left blank has no target (鲍沟镇's 2025 target names 示范、达标、提升 only);
    at least one grade needs a number. A form loaded from a stored target posts back valid as it is.
    """

    prefix = "target"

    mode = forms.ChoiceField(
        label="目标方式",
        required=False,
        choices=[("", "暂不设置"), *AnnualTarget.Mode.choices],
    )
    share_percent = forms.DecimalField(
        label="达标比例（%）", required=False, min_value=0, max_value=100, decimal_places=2, max_digits=5
    )
    cumulative = forms.BooleanField(label="累计口径（数量含往年已评定的村）", required=False)
    note = forms.CharField(
        label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The version of the target the page was loaded with (services.campaigns.target_fingerprint).
    seen = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, grades, target=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.grades = list(grades)
        counts = {g.grade_code: g.count for g in target.grade_counts.all()} if target else {}
        for i, grade in enumerate(self.grades):
            self.fields[f"grade_{i}"] = forms.IntegerField(
                label=f"{grade.name}（个）",
                required=False,
                min_value=0,
                max_value=9999,
                help_text="留空则不设目标",
            )
            self.fields[f"grade_{i}"].initial = counts.get(grade.code)
        if target is not None:
            for field in ("mode", "share_percent", "cumulative", "note"):
                self.fields[field].initial = getattr(target, field)

    @property
    def grade_fields(self):
        return [self[f"grade_{i}"] for i in range(len(self.grades))]

    @property
    def wanted(self):
        return bool(self.is_valid() and self.cleaned_data.get("mode"))

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == AnnualTarget.Mode.COUNTS:
            if not self.grades:
                raise forms.ValidationError("所选指数标准没有等次，不能按等次数量设置目标。")
            filled = [i for i in range(len(self.grades)) if data.get(f"grade_{i}") is not None]
            if not filled and not any(f"grade_{i}" in self.errors for i in range(len(self.grades))):
                raise forms.ValidationError(
                    "按等次数量设置目标时，请至少填写一个等次的目标数量（留空的等次不设目标）。"
                )
        elif mode == AnnualTarget.Mode.SHARE and data.get("share_percent") is None:
            self.add_error("share_percent", "请填写达标比例。")
        return data

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            "mode": data["mode"],
            "counts": [
                (g.code, g.name, data[f"grade_{i}"])
                for i, g in enumerate(self.grades)
                if data.get(f"grade_{i}") is not None
            ]
            if data["mode"] == AnnualTarget.Mode.COUNTS
            else None,
            "share_percent": data.get("share_percent"),
            "cumulative": data.get("cumulative", False),
            "note": data.get("note", ""),
        }


class ReopenForm(CleanTextMixin, forms.Form):
    until = forms.DateField(label="延期至", **DATE)
    reason = forms.CharField(label="延期理由", max_length=300)
