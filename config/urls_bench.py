"""URLs of config.settings.bench: the project's own, plus the benchmark's bare reference page.
Production (config.urls) does not contain it."""

from django.urls import path

from config.bench import bare
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *project_urlpatterns]
