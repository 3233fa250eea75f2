import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("qinglian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="qinglian.ping")
def ping():
    """Round trip for health checks: proves broker, worker and result backend are wired."""
    return "pong"
