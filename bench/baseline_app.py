"""The baselines of bench/check_api.py: a minimal Django project, served by the same gunicorn.

A new project as `django-admin startproject` makes it (its default middleware and apps), with
two views:

- `GET /const`: a constant JSON answer (what Django itself costs);
- `GET /card/<number>`: the naive check, one raw-SQL lookup of the card by number in the
  hmskort database (`DATABASE_URL`, persistent connections, no per-request health check), as
  JSON.

    gunicorn bench.baseline_app:application --workers 4
"""

from __future__ import annotations

import os

import dj_database_url
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-baseline-not-secret"),
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
        ],
        # startproject's default middleware.
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={
            # Persistent connections without a per-request health check: the strongest naive
            # baseline (one database round trip per check).
            "default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)
        },
        USE_TZ=True,
        STATIC_URL="static/",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )

import django
from django.db import connection
from django.http import Http404, JsonResponse
from django.urls import path

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402

_SQL = (
    "SELECT c.number, c.valid, c.state, c.expires_on, p.given_name, p.family_name, "
    "co.name, co.orgnr FROM cards_card c JOIN people_person p ON p.id = c.holder_id "
    "JOIN companies_company co ON co.id = c.company_id WHERE c.number = %s"
)


def const(request):
    return JsonResponse({"status": "ok", "api_version": "1"})


def card(request, number: str):
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [number])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    return JsonResponse(
        {
            "card_number": row[0],
            "valid": row[1],
            "state": row[2],
            "expires_on": row[3],
            "holder_name": f"{row[4]} {row[5]}",
            "employer_name": row[6],
            "employer_orgnr": row[7],
        }
    )


urlpatterns = [path("const", const), path("card/<str:number>", card)]

application = get_wsgi_application()
