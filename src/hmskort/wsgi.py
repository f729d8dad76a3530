import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")

_django = get_wsgi_application()

# The anonymous card check is answered by a lean entry point; everything else by Django.
from hmskort.api.lean import LeanCheck  # noqa: E402
from hmskort.metrics import record_request  # noqa: E402

application = LeanCheck(_django, record_request=record_request)
