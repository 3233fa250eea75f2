"""Deploy checks of the file storage (issue 16): files on one machine's disk while the deployment spans
several machines would be uploaded on one web machine and missing on the next, or built by a worker
where no web machine can send them."""

from urllib.parse import urlparse

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.files.storage import FileSystemStorage, default_storage

LOOPBACK = {"localhost", "127.0.0.1", "::1", ""}


def broker_on_another_machine(url):
    """A Redis on another host means web and workers are meant to run on more than one machine."""
    if not url or url.startswith("unix:"):
        return False
    return (urlparse(url).hostname or "") not in LOOPBACK


def storage_shared_check(app_configs=None, **kwargs):
    if getattr(settings, "QL_MEDIA_ROOT_SHARED", False):
        return []
    if not isinstance(default_storage, FileSystemStorage):  # the lazy object reports its backend's class
        return []
    if not broker_on_another_machine(getattr(settings, "REDIS_URL", "")):
        return []
    return [
        CheckWarning(
            "文件保存在本机磁盘（QL_STORAGE=local），而 Redis 在另一台机器上，说明 web 和 worker "
            "分布在多台机器：各机器看不到彼此上传和生成的文件。",
            hint="设置 QL_STORAGE=s3 并配置对象存储（QL_S3_BUCKET、QL_S3_ENDPOINT_URL 等），"
            "或确认各机器挂载同一个 MEDIA_ROOT 共享目录后设置 QL_MEDIA_ROOT_SHARED=true。",
            id="qinglian.W016",
        )
    ]
