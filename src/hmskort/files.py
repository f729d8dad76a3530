"""Private files (photos, ID documents, card files): stored through STORAGES["private"] and shown
to staff only through short-lived signed links.

- On S3 (HMSKORT_S3_BUCKET set) the link is the bucket's own pre-signed URL, valid for
  HMSKORT_PRIVATE_URL_SECONDS (default 300); the objects are private, so nothing else reads them.
- On the file system (the default) the link points at `private_file` below: a signed token that
  names the file and its expiry, honoured only for a logged-in staff user, never cached.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

_SALT = "hmskort.files.private"


def signed_url(name: str, *, seconds: int | None = None) -> str:
    """A link to a private file that works for `seconds` (default HMSKORT_PRIVATE_URL_SECONDS)."""
    seconds = seconds or settings.HMSKORT_PRIVATE_URL_SECONDS
    storage = storages["private"]
    if isinstance(storage, FileSystemStorage):
        token = signing.dumps({"n": name, "x": int(time.time()) + seconds}, salt=_SALT)
        return reverse("private_file", args=[token])
    # django-storages' S3 storage signs for `expire` seconds; the base Storage stub lacks it.
    return storage.url(name, expire=seconds)  # type: ignore[call-arg]


@never_cache
@require_GET
def private_file(request: HttpRequest, token: str) -> FileResponse:
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_staff):
        raise Http404
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise Http404 from None
    if int(payload.get("x", 0)) < time.time():
        raise Http404
    storage = storages["private"]
    name = payload.get("n", "")
    if not isinstance(storage, FileSystemStorage) or not storage.exists(name):
        raise Http404
    response = FileResponse(storage.open(name, "rb"))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
