from django import forms
from django.conf import settings

from common.forms import CleanTextMixin
from common.text import LONG_LIMIT

from .importing import format_for_name
from .importing.validator import YEAR_RANGE
from .models import IndexStandard


def _limit_mb():
    return getattr(settings, "QL_IMPORT_MAX_BYTES", 10 * 1024 * 1024) // (1024 * 1024)


class StandardFileField(forms.FileField):
    """A YAML or Excel standard within the import size limit; the format comes from the extension."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is None:
            return upload
        if format_for_name(upload.name) is None:
            raise forms.ValidationError("仅支持 YAML（.yaml、.yml）或 Excel（.xlsx）文件")
        if upload.size > getattr(settings, "QL_IMPORT_MAX_BYTES", 10 * 1024 * 1024):
            raise forms.ValidationError(f"文件过大（超过 {_limit_mb()} MB）")
        return upload


def _target_field(targets, label):
    return forms.ChoiceField(label=label, choices=[(value, text) for value, text, _, _ in targets])


class StandardImportForm(CleanTextMixin, forms.Form):
    file = StandardFileField(
        label="标准文件", help_text="YAML（.yaml、.yml）或 Excel（.xlsx，格式同“导出 Excel”）"
    )
    target = forms.ChoiceField(label="适用范围")
    year = forms.IntegerField(
        label="年度",
        required=False,
        min_value=YEAR_RANGE[0],
        max_value=YEAR_RANGE[1],
        help_text="文件中已有年度或版本号以四位年份开头时可不填；填写时须与文件一致",
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {value: (region, township) for value, _, region, township in targets}
        self.fields["target"] = _target_field(targets, "适用范围")


class StandardCopyForm(CleanTextMixin, forms.Form):
    new_version = forms.CharField(
        label="新版本号", max_length=40, help_text="如 2025-1；同一标准编码、年度下不能重复"
    )
    year = forms.IntegerField(label="适用年度", min_value=YEAR_RANGE[0], max_value=YEAR_RANGE[1])
    label = forms.CharField(
        label="版本名称",
        max_length=40,
        required=False,
        help_text="各村自评表、申请表上显示的名称，如“2025年版”；留空则为“适用年度＋年版”",
    )
    target = forms.ChoiceField(label="适用范围")

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {value: (region, township) for value, _, region, township in targets}
        self.fields["target"] = _target_field(targets, "适用范围")


class StandardMetaForm(CleanTextMixin, forms.Form):
    text_limits = {"notes": LONG_LIMIT}
    name = forms.CharField(label="标准名称", max_length=120)
    label = forms.CharField(
        label="版本名称",
        max_length=40,
        required=False,
        help_text="各村自评表、申请表上显示的名称，如“2025年版”；留空则为“年度＋年版”",
    )
    status = forms.ChoiceField(label="状态", choices=IndexStandard.Status.choices)
    notes = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 5}))


class StandardReplaceForm(CleanTextMixin, forms.Form):
    file = StandardFileField(label="标准文件", help_text="重新导入会替换本草稿的全部维度、指标和规则")
