from django import forms

from assessments.models import DemonstrationApplication
from common.forms import CleanTextMixin
from common.text import LONG_LIMIT


class DemonstrationForm(CleanTextMixin, forms.ModelForm):
    # clean_experience words the 3,000-character limit; the cleaner's limit is the backstop above it
    text_limits = {"experience": LONG_LIMIT}
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = DemonstrationApplication
        fields = [
            "brand_name",
            "recommendation_rank",
            "satisfaction",
            "honours",
            "experience",
            "township_opinion",
        ]
        widgets = {
            "experience": forms.Textarea(attrs={"rows": 10}),
            "honours": forms.Textarea(attrs={"rows": 3}),
            "township_opinion": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "experience": "不超过 3000 字。",
            "recommendation_rank": "报市材料包按此顺序排列，1 为第一推荐。",
            "satisfaction": "如：满意率 96.5%（抽样 200 户）",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recommendation_rank"].min_value = 1
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean_experience(self):
        text = self.cleaned_data["experience"]
        limit = DemonstrationApplication.EXPERIENCE_MAX
        if len(text) > limit:
            raise forms.ValidationError(f"典型经验材料不超过 {limit} 字（现有 {len(text)} 字）。")
        return text

    def clean_recommendation_rank(self):
        rank = self.cleaned_data["recommendation_rank"]
        if rank is not None and rank < 1:
            raise forms.ValidationError("推荐排序须为正整数。")
        return rank
