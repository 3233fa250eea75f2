from django import forms

from common.forms import CleanTextMixin


class OrgImportForm(CleanTextMixin, forms.Form):
    file = forms.FileField(
        label="组织机构工作簿",
        help_text="Excel 工作簿（.xlsx），格式与“下载模板”一致；任何一行有错误，整个文件都不会导入。",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
        error_messages={"required": "请选择要导入的文件。", "empty": "文件为空。", "invalid": "文件无效。"},
    )
