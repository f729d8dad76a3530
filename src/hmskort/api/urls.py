"""The JSON API for integrators (crew lists, access control). OpenAPI at /api/v1/openapi.json."""

from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from .cards import router as cards_router
from .schemas import Ping
from .webhooks import router as webhooks_router

api = NinjaAPI(
    title="hmskort API",
    version="1",
    description=(
        "Check HMS-kort (HSE cards) for validity. See docs/api.md for integrators' guide."
    ),
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(ValidationError)
def invalid_request(request, exc: ValidationError):
    """Validation errors keep the documented error shape: detail (text), code, errors (list)."""
    from .cards import request_language

    with translation.override(request_language(request)):
        detail = _("The request is not valid. See errors for each field.")
    errors = [
        {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return api.create_response(
        request, {"detail": detail, "code": "invalid_request", "errors": errors}, status=422
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc: AuthenticationError):
    from .cards import request_language, unauthorized

    with translation.override(request_language(request)):
        return unauthorized()


@api.get("/ping", response=Ping, tags=["health"], summary="Health check without database")
def ping(request):
    """A constant answer, for integrators' health checks (and the benchmark's baseline)."""
    return {"status": "ok", "api_version": "1"}


api.add_router("/cards", cards_router)
api.add_router("/webhooks", webhooks_router)
