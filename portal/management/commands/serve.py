"""manage.py serve: the embedded default's web server (`make run`).

waitress, not runserver: a fixed pool of threads (a township's 66 villages saving at once wait in a
real listen backlog instead of having their connections reset), no auto-reloader, static files through
WhiteNoise as in production. For more than one township, or more than a few dozen people at once, use
the production setup (README 生产部署: PostgreSQL, gunicorn, Celery)."""

from django.core.management.base import BaseCommand

THREADS = 8
BACKLOG = 2048


class Command(BaseCommand):
    help = "以 waitress 多线程方式启动本机版网站（make run 使用）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport", nargs="?", default="127.0.0.1:8000", help="地址:端口，默认 127.0.0.1:8000"
        )
        parser.add_argument("--threads", type=int, default=THREADS, help=f"工作线程数，默认 {THREADS}")

    def handle(self, *args, addrport, threads, **options):
        from django.core.wsgi import get_wsgi_application
        from waitress import serve

        application = get_wsgi_application()

        host, _, port = addrport.rpartition(":")
        host = host or "127.0.0.1"
        self.stdout.write(f"清廉村居测评平台：http://{host}:{port}/ （{threads} 个线程；Ctrl+C 停止）")
        serve(
            application,
            host=host,
            port=int(port),
            threads=threads,
            backlog=BACKLOG,
            connection_limit=max(BACKLOG // 2, 100),
            channel_timeout=120,
            ident="qinglian",
        )
