"""issue 15: a public message keeps markup stripped and is refused when it holds invisible characters."""

import pytest

from common.errors import InvalidInputError
from feedback import services as svc
from feedback.models import Feedback

from .test_feedback import _fresh_cache, _published  # noqa: F401 (autouse fixtures of that module)


def submit(village, text, contact=""):
    return svc.feedback_submit(
        village_key=village.public_key, category="problem", text=text, contact=contact, ip="10.0.0.9"
    )


def test_a_message_with_a_zero_width_space_is_refused_and_not_stored(org):
    with pytest.raises(InvalidInputError) as info:
        submit(org.village, "村务公开栏\u200b三个月没有更新")
    assert info.value.message == "“意见内容”含有不可见的零宽空格（U+200B），请删除后重新输入。"
    assert not Feedback.objects.exists()


def test_a_contact_with_a_line_break_is_refused(org):
    with pytest.raises(InvalidInputError) as info:
        submit(org.village, "村务公开栏三个月没有更新", contact="138\n0000")
    assert info.value.message == "“联系方式”含有换行符或制表符，此项只能填写一行。"


def test_markup_is_still_stripped_and_crlf_stored_as_lf(org):
    item = submit(org.village, "<b>村务公开栏</b>\r\n三个月没有更新")
    assert item.text == "村务公开栏\n三个月没有更新"
