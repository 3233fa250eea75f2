"""Forms of the rectification and task pages: thin, the services validate the rules."""

from django import forms

from common.forms import CleanTextMixin
from common.text import LONG_LIMIT

from .models import PlanTask, Rectification


class RectificationCreateForm(CleanTextMixin, forms.Form):
    village = forms.ModelChoiceField(label="村（社区）", queryset=None)
    source = forms.ChoiceField(label="来源", choices=Rectification.Source.choices)
    problem = forms.CharField(label="问题", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    requirement = forms.CharField(label="整改要求", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    owner = forms.CharField(label="整改责任人", max_length=30, required=False)
    deadline = forms.DateField(label="整改时限", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class RespondForm(CleanTextMixin, forms.Form):
    response = forms.CharField(
        label="整改情况说明", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class VerifyForm(CleanTextMixin, forms.Form):
    accept = forms.TypedChoiceField(
        label="验收结论",
        choices=[("1", "验收通过，销号"), ("0", "验收不通过，退回整改")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="验收意见", max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class TaskImportForm(CleanTextMixin, forms.Form):
    year = forms.IntegerField(label="计划年度", min_value=2000, max_value=2100)
    file = forms.FileField(label="任务清单（.xlsx 或 .txt）", required=False)
    text = forms.CharField(
        label="或粘贴方案中的任务", widget=forms.Textarea, required=False, max_length=200_000
    )
    create_missing_units = forms.BooleanField(label="自动添加缺少的责任单位", required=False)

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError("请上传任务清单文件，或粘贴方案中的任务。")
        return data


class TaskProgressForm(CleanTextMixin, forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    year = forms.IntegerField(label="年", min_value=2000, max_value=2100)
    month = forms.IntegerField(label="月", min_value=1, max_value=12)
    text = forms.CharField(label="进展情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    status = forms.ChoiceField(
        label="状态",
        choices=[(PlanTask.Status.IN_PROGRESS, "推进中"), (PlanTask.Status.DONE, "已完成")],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class PlanTaskForm(CleanTextMixin, forms.Form):
    text_limits = {"measures": LONG_LIMIT}
    """A task as the plan writes it; the 牵头单位 / 责任单位 texts are read into links on save."""

    key_point = forms.CharField(label="工作要点（工程／领域）", max_length=200, required=False)
    task = forms.CharField(label="重点任务", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    measures = forms.CharField(label="推进措施", widget=forms.Textarea(attrs={"rows": 5}), required=False)
    lead_text = forms.CharField(label="牵头单位", max_length=300, required=False)
    units_text = forms.CharField(label="责任单位", max_length=300, required=False)
    responsible_person = forms.CharField(label="责任人", max_length=300, required=False)
    deadline_text = forms.CharField(label="完成时限", max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TaskReasonForm(CleanTextMixin, forms.Form):
    reason = forms.CharField(label="原因", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
