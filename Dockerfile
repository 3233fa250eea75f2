# Production image: gunicorn serving Django, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY config ./config
COPY common ./common
COPY access ./access
COPY accounts ./accounts
COPY audit ./audit
COPY villages ./villages
COPY indices ./indices
COPY assessments ./assessments
COPY ledgers ./ledgers
COPY reports ./reports
COPY reminders ./reminders
COPY dashboards ./dashboards
COPY portal ./portal
COPY feedback ./feedback
COPY publication ./publication
COPY templates ./templates
COPY static ./static
COPY fixtures ./fixtures
COPY manage.py ./
# /data/media is used only with QL_STORAGE=local (one machine); with QL_STORAGE=s3 files live in the bucket
# and the builders' temporary files in the container's /tmp.
RUN pip install --no-cache-dir . \
 && useradd --system --home /app qinglian \
 && mkdir -p /data/media /app/staticfiles && chown -R qinglian /data /app/staticfiles
# the PDF forms' subset font, made once at build time rather than on the first PDF
ENV QL_FONT_CACHE_DIR=/app/fonts
RUN DJANGO_SECRET_KEY=build-only python manage.py prepare_fonts && chown -R qinglian /app/fonts
USER qinglian
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120"]
