from django.core.management.base import BaseCommand

from portal.demo import seed_demo


class Command(BaseCommand):
    help = (
        "载入演示数据（滕州市鲍沟镇、羊庄镇，临猗县三管镇，样例指数标准，2024、2025 年度测评和台账）"
        "并为每个角色创建演示账户，打印用户名和密码。可重复执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="所有演示账户使用此密码（默认每次随机生成）")

    def handle(self, *args, password=None, **options):
        accounts = seed_demo(password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "演示数据已就绪：滕州市鲍沟镇（66个村）、羊庄镇（50个村），临猗县三管镇（10个村），"
                "村级和镇街样例指数标准（2024年版、2025年版）。"
            )
        )
        self.stdout.write(
            "演示账户（均使用 --password 指定的密码）："
            if password
            else "演示账户（每次执行会重新生成密码）："
        )
        width = max(len(a.username) for a in accounts)
        for a in accounts:
            self.stdout.write(f"  {a.username.ljust(width)}  密码 {a.password}  {a.role.label}（{a.where}）")
