"""Demo 群众意见 (see portal/registry.py): a few messages per demo township in every state, one of them
turned into a 整改 item, written through the services like a villager's and the township's clicks."""

from publication.selectors import village_is_published

from .models import Feedback
from .services import feedback_answer, feedback_dismiss, feedback_submit, feedback_to_rectification

MESSAGES = (
    ("problem", "村务公开栏上个季度的财务收支一直没有更新，希望按时公开。"),
    ("suggestion", "建议把小微权力清单印成小册子发到每户，方便大家对照监督。"),
    ("praise", "村监委会这次对道路硬化工程全程跟踪，大家都看在眼里，点赞！"),
    ("other", "想了解今年清廉村居测评的结果什么时候公布。"),
    ("problem", "低保名单公示时间太短，很多在外务工的村民没有看到。"),
)


def seed_demo_feedback(demo):
    users = demo.users
    for n, (township, reviewer) in enumerate(
        (
            (demo.baogou, users["demo_jiwei"]),
            (demo.yangzhuang, users["demo_yangzhuang"]),
            (demo.sanguan, users["demo_sanguan"]),
        )
    ):
        # a message is left on a published card only (publication's demo publishes the confirmed years)
        villages = [
            v
            for v in township.villages.order_by("sort_order", "name")[:20]
            if village_is_published(v.public_key)
        ][: len(MESSAGES)]
        if not villages or Feedback.objects.filter(township=township).exists():  # seeded already
            continue
        made = [
            feedback_submit(
                village_key=villages[i % len(villages)].public_key,
                category=category,
                text=text,
                ip=f"192.0.2.{n * 10 + i}",
            )
            for i, (category, text) in enumerate(MESSAGES)
        ]
        feedback_to_rectification(feedback=made[0], actor=reviewer, expected_version=1)
        feedback_answer(
            feedback=made[3], actor=reviewer, answer="年度结果经市里认定后在本页面公布。", expected_version=1
        )
        feedback_dismiss(
            feedback=made[2],
            actor=reviewer,
            reason="表扬意见，已转告村监委会，无需处理。",
            expected_version=1,
        )
    return Feedback.objects.count()
