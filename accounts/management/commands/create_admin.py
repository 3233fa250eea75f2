import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role, User
from accounts.services import membership_grant


class Command(BaseCommand):
    help = "创建系统管理员账户：生成一次性随机密码并打印，首次登录必须修改。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--full-name", default="系统管理员")

    def handle(self, *args, username, full_name, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户 {username} 已存在。")
        password = secrets.token_urlsafe(12) + "-7a"
        with transaction.atomic():
            user = User(username=username, full_name=full_name, is_staff=True, is_superuser=True)
            user.must_change_password = True
            user.set_password(password)
            user.save()
            membership_grant(user=user, role=Role.ADMIN)
        self.stdout.write(self.style.SUCCESS(f"已创建系统管理员 {username}，一次性密码：{password}"))
        self.stdout.write("首次登录后必须修改密码。")
