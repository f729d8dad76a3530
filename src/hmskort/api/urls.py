"""The JSON API for integrators (crew lists, access control). OpenAPI at /api/v1/openapi.json."""

from ninja import NinjaAPI

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


@api.get("/ping", response=Ping, tags=["health"], summary="Health check without database")
def ping(request):
    """A constant answer, for integrators' health checks (and the benchmark's baseline)."""
    return {"status": "ok", "api_version": "1"}


api.add_router("/cards", cards_router)
api.add_router("/webhooks", webhooks_router)
