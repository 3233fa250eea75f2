from django import forms

from common.forms import CleanTextMixin
from villages.models import Village

from .models import LedgerEntry

NUMBER = {"invalid": "请输入数字。", "required": "必填。"}


SMALL_INPUT = {"class": "form-control form-control-sm"}


class LedgerHeaderForm(CleanTextMixin, forms.Form):
    filled_by_name = forms.CharField(
        label="填报人", max_length=30, required=False, widget=forms.TextInput(attrs=SMALL_INPUT)
    )
    approved_by_name = forms.CharField(
        label="审核人（单位负责人）", max_length=30, required=False, widget=forms.TextInput(attrs=SMALL_INPUT)
    )
    zero_report = forms.BooleanField(
        label="本月无问题（零报告）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LedgerEntryForm(CleanTextMixin, forms.ModelForm):
    """One ledger row; `villages` (the unit's), the month and the standard's codes are passed in."""

    class Meta:
        model = LedgerEntry
        fields = (
            "seq", "village", "category", "indicator_code", "method", "checked_on", "checker", "finding",
            "level", "proposed_deduction", "requirement", "owner", "deadline", "rectify_status",
            "rectify_note", "closed_on", "self_reported", "note",
        )  # fmt: skip
        widgets = {
            "checked_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "closed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "finding": forms.Textarea(attrs={"rows": 2}),
            "requirement": forms.Textarea(attrs={"rows": 2}),
            "rectify_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, villages=None, year=None, month=None, indicator_codes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.year, self.month, self.indicator_codes = year, month, indicator_codes
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
        self.fields["village"].queryset = villages if villages is not None else Village.objects.none()
        self.fields["village"].label = "村（社区）名称"
        self.fields["village"].error_messages["invalid_choice"] = "不是本单位监管的村（社区）。"
        self.fields["proposed_deduction"].error_messages.update(NUMBER)

    def clean_checked_on(self):
        value = self.cleaned_data.get("checked_on")
        if value and (value.year, value.month) != (self.year, self.month):
            raise forms.ValidationError(f"日期须在 {self.year}年{self.month}月 内。")
        return value

    def clean_indicator_code(self):
        code = (self.cleaned_data.get("indicator_code") or "").strip()
        if code and self.indicator_codes is not None and code not in self.indicator_codes:
            raise forms.ValidationError("该指标不在本年度村级指数标准中。")
        return code

    def clean_proposed_deduction(self):
        value = self.cleaned_data.get("proposed_deduction")
        if value is not None and value < 0:
            raise forms.ValidationError("拟扣分不能为负数。")
        return value or 0

    def clean(self):
        data = super().clean()
        if data.get("level"):
            if not (data.get("finding") or "").strip():
                self.add_error("finding", "有问题等级的记录须填写问题描述。")
            if not (data.get("requirement") or "").strip():
                self.add_error("requirement", "有问题的记录须填写整改要求。")
            if not data.get("deadline"):
                self.add_error("deadline", "有问题的记录须填写整改时限。")
        elif (data.get("finding") or "").strip():
            self.add_error("level", "填写了问题描述，请选择问题等级。")
        return data

    def validate_unique(self):
        # (submission, seq) is reconciled by the service; duplicates are caught by the formset.
        pass


class BaseEntryFormSet(forms.BaseModelFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs.setdefault("class", "form-check-input")

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.has_changed() or (self.can_delete and self._should_delete_form(form)):
                continue
            seq = form.cleaned_data.get("seq")
            if seq in seen:
                form.add_error("seq", "序号重复。")
            seen.add(seq)


EntryFormSet = forms.modelformset_factory(
    LedgerEntry, form=LedgerEntryForm, formset=BaseEntryFormSet, extra=3, can_delete=True
)


class LedgerUploadForm(CleanTextMixin, forms.Form):
    file = forms.FileField(
        label="台账文件",
        help_text="Excel 工作簿（.xlsx），使用“下载模板”的格式；任何一行有错误，整个文件都不会导入。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        error_messages={"required": "请选择要上传的文件。", "empty": "文件为空。", "invalid": "文件无效。"},
    )
    # The month's version the page showed: an upload never overwrites a save made since.
    version = forms.IntegerField(
        min_value=1, widget=forms.HiddenInput, error_messages={"required": "页面已过期，请刷新后再上传。"}
    )


class EntryConfirmForm(CleanTextMixin, forms.Form):
    confirmed_deduction = forms.DecimalField(
        label="确认扣分", max_digits=7, decimal_places=2, min_value=0, required=False,
        error_messages={"min_value": "确认扣分不能为负数。", "invalid": "请输入数字。"},
    )  # fmt: skip
    reason = forms.CharField(label="调整理由", max_length=300, required=False)
