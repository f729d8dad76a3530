"""schemathesis over the OpenAPI spec: generated requests never get a server error and every
answer matches the documented schema. Kept small (max 50 examples per operation)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from hmskort.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def bearer(db, django_settings_for_fuzz):
    from hmskort.audit.services import Actor
    from hmskort.integrations import services
    from tests.factories import CardFactory

    CardFactory.create_batch(3)
    _key, plaintext = services.create_api_key(
        name="Fuzz", actor=Actor.system("test"), rate_per_minute=100_000, daily_quota=10**9
    )
    return plaintext


@pytest.fixture
def django_settings_for_fuzz(settings):
    """High limits, and keep the test's database connection open between WSGI requests (as
    Django's own test client does): the WSGI handler would otherwise close it after each one."""
    from django.core import signals
    from django.db import close_old_connections

    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 100_000
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield settings
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_never_answers_with_a_server_error(case, bearer):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {bearer}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


def test_api_workflows_along_the_openapi_links_never_fail(bearer):
    """Stateful: schemathesis chains calls along the schema's links (check a batch, then the
    first card; set the webhook, subscribe, read the deliveries, remove the endpoint)."""
    from hmskort.api.urls import api

    links = [
        name
        for path in api.get_openapi_schema()["paths"].values()
        for operation in path.values()
        for answer in operation.get("responses", {}).values()
        for name in answer.get("links", {})
    ]
    assert {"CheckTheFirstCard", "SubscribeToCards", "ReadTheDeliveries"} <= set(links)

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {bearer}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

    Workflow.run(
        settings=settings(
            max_examples=8,
            stateful_step_count=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
