"""Exit 0 when the PostgreSQL server in the given URL accepts connections (used by `make test`)."""

import sys
from urllib.parse import urlparse

try:
    import psycopg2
except ImportError:
    sys.exit(1)

url = urlparse(sys.argv[1])
try:
    psycopg2.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=(url.path or "/postgres").lstrip("/") or "postgres",
        connect_timeout=3,
    ).close()
except psycopg2.OperationalError:
    sys.exit(1)
