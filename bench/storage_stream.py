"""Issue 16: what a download costs the web process, local disk against an S3-API store on loopback.

    python bench/storage_stream.py [MB]

Each mode runs in a fresh child process (peak RSS is per process): `local` (FileSystemStorage, the
reference), `s3-stream` (common.storage.download_response: the GET body streamed as it arrives) and
`s3-open` (Storage.open on S3Storage with our max_memory_size of 8 MB: the object is copied into a
spooled temporary file before the first byte) and `s3-open-default` (the same with django-storages'
default max_memory_size 0: the whole object in memory). Prints total seconds, time to the first byte and
the peak of Python memory while downloading (tracemalloc) for each, and the time ratios to `local`."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench"


def child(mode, endpoint, bucket, media, mb):
    import time

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    from django.conf import settings
    from django.core.files.storage import default_storage

    from common.storage import download_response

    settings.MEDIA_ROOT = media
    if mode != "local":
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": bucket, "endpoint_url": endpoint, "access_key": KEY,
                            "secret_key": KEY, "region_name": "us-east-1", "addressing_style": "path",
                            "max_memory_size": 0 if mode == "s3-open-default" else 8 * 1024 * 1024},
            },
        }  # fmt: skip
        from django.test.signals import storages_changed

        storages_changed(setting="STORAGES")
    import tracemalloc

    # Peak RSS cannot show it: Django's start-up peak is higher than what a download adds. tracemalloc
    # counts the Python buffers a download holds (a whole object in a BytesIO, or 64 kB at a time).
    tracemalloc.start()
    start = time.perf_counter()
    total = 0
    first = None
    if mode.startswith("s3-open"):
        with default_storage.open("big.bin", "rb") as fh:
            for chunk in iter(lambda: fh.read(64 * 1024), b""):
                first = first or time.perf_counter() - start
                total += len(chunk)
    else:
        response = download_response("big.bin", filename="材料包.zip", content_type="application/zip")
        for chunk in response.streaming_content:
            first = first or time.perf_counter() - start
            total += len(chunk)
    took = time.perf_counter() - start
    assert total == mb * 1024 * 1024, total
    grew = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    print(json.dumps({"mode": mode, "seconds": took, "first_byte": first, "peak_mb": grew}))


def main():
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=KEY,
                      region_name="us-east-1")  # fmt: skip
    s3.create_bucket(Bucket="bench")
    payload = os.urandom(mb * 1024 * 1024)
    s3.put_object(Bucket="bench", Key="big.bin", Body=payload)
    media = tempfile.mkdtemp(prefix="ql-bench-media-")
    Path(media, "big.bin").write_bytes(payload)
    del payload
    results = {}
    for mode in ("local", "s3-stream", "s3-open", "s3-open-default"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, endpoint, "bench", media, str(mb)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    server.stop()
    ref = results["local"]
    print(f"{mb} MB download, load average {os.getloadavg()[0]:.2f}")
    for mode, r in results.items():
        print(
            f"{mode:16s} {r['seconds']:7.3f} s ({r['seconds'] / ref['seconds']:.1f}× local)  "
            f"first byte {r['first_byte'] * 1000:7.1f} ms  peak Python memory {r['peak_mb']:.1f} MB"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        child(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        main()
