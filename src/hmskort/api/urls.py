"""The JSON API for integrators (crew lists, access control). OpenAPI at /api/v1/openapi.json."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="hmskort API",
    version="1",
    description=(
        "Check HMS-kort (HSE cards) for validity. See docs/api.md for integrators' guide."
    ),
    urls_namespace="api",
    docs_url="/docs",
)
