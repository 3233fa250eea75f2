"""common.text and common.forms: one cleaner for typed and imported text (issue 15)."""

import pytest
from django import forms

from common.forms import CleanTextMixin
from common.text import TextRefused, check_text, clean_text, name_key


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("小\u200b孙官村", "含有不可见的零宽空格（U+200B），请删除后重新输入。"),
        ("\ufeff小孙官村", "含有不可见的BOM 字节顺序标记（U+FEFF），请删除后重新输入。"),
        ("小孙官村\u202e", "含有不可见的文字方向控制符（U+202E），请删除后重新输入。"),
        ("小孙\u200d官村", "含有不可见的零宽连字（U+200D），请删除后重新输入。"),
        ("小孙\u2063官村", "含有不可见的格式字符（U+2063），请删除后重新输入。"),
        ("小孙\x07官村", "含有不可见的控制字符（U+0007），请删除后重新输入。"),
        ("小孙\n官村", "含有换行符或制表符，此项只能填写一行。"),
        ("小孙\t官村", "含有换行符或制表符，此项只能填写一行。"),
    ],
)
def test_format_and_control_characters_are_refused_in_a_name(value, reason):
    assert check_text(value, max_length=50, name=True)[1] == reason
    with pytest.raises(TextRefused) as info:
        clean_text(value, label="村（社区）名称", max_length=50, name=True)
    assert info.value.message == f"“村（社区）名称”{reason}"


def test_multiline_text_keeps_tabs_and_line_breaks_and_stores_crlf_as_lf():
    assert check_text(" 第一行\r\n\t第二行\r第三行 ", max_length=100, multiline=True) == (
        "第一行\n\t第二行\n第三行",
        None,
    )
    assert check_text("说明\u200b", max_length=100, multiline=True)[1].startswith("含有不可见的零宽空格")
    assert (
        check_text("说明\x00", max_length=100, multiline=True)[1]
        == "含有不可见的控制字符（U+0000），请删除后重新输入。"
    )


def test_nfkc_folds_full_width_letters_and_digits_but_keeps_chinese_punctuation():
    assert check_text("１号楼　ＡＢ，说明：好！", max_length=100) == ("1号楼 AB，说明：好！", None)


def test_names_are_stripped_collapsed_and_use_full_width_parentheses():
    assert name_key("小孙官村 ") == name_key("小孙官村") == "小孙官村"
    assert name_key("小孙官村(东)") == name_key("小孙官村（东）") == "小孙官村（东）"
    assert name_key("  经管  站 ") == "经管 站"
    assert name_key("小\u200b孙官村") != name_key("小孙官村")  # refused, never merged silently


def test_length_is_checked_on_the_cleaned_text():
    assert (
        check_text("x" * 40_000, max_length=2000, multiline=True)[1]
        == "长度不能超过 2000 个字（现有 40000 个）。"
    )
    assert check_text(" " + "x" * 10 + " ", max_length=10) == ("x" * 10, None)


class _Form(CleanTextMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=20)
    notes = forms.CharField(label="说明", required=False, widget=forms.Textarea)
    password = forms.CharField(label="密码", widget=forms.PasswordInput, required=False, strip=False)


def test_a_form_field_with_a_format_character_is_refused_naming_the_field():
    form = _Form(data={"name": "小孙官村\u200b", "notes": "备注\u202e"})
    assert not form.is_valid()
    assert form.errors["name"] == ["“名称”含有不可见的零宽空格（U+200B），请删除后重新输入。"]
    assert form.errors["notes"] == ["“说明”含有不可见的文字方向控制符（U+202E），请删除后重新输入。"]


def test_a_form_cleans_names_and_bounds_text_areas_the_model_leaves_open():
    form = _Form(data={"name": " 小孙官村(东) ", "notes": "a\r\nb", "password": " ＡＢ\u200b "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "小孙官村（东）"
    assert form.cleaned_data["notes"] == "a\nb"
    assert form.cleaned_data["password"] == " ＡＢ\u200b "  # passwords are never rewritten
    assert form.fields["notes"].max_length == 2000
    assert 'maxlength="2000"' in str(form["notes"])
    too_long = _Form(data={"name": "x", "notes": "字" * 2001})
    assert not too_long.is_valid()
    assert too_long.errors["notes"] == ["“说明”长度不能超过 2000 个字（现有 2001 个）。"]


def test_fields_added_after_the_mixin_ran_are_cleaned_too():
    class Late(CleanTextMixin, forms.Form):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["title"] = forms.CharField(label="标题", max_length=10)

    form = Late(data={"title": "标\u200b题"})
    assert not form.is_valid()
    assert form.errors["title"] == ["“标题”含有不可见的零宽空格（U+200B），请删除后重新输入。"]
