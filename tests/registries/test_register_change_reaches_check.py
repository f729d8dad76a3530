"""A register change reaches the card check end to end: the change feed (a real HTTP server
standing in for Enhetsregisteret), the periodic feed job, the recompute job, and
`GET /api/v1/cards/{n}` (issue 15). No timing is asserted: `bench/register_to_check.py`
measures it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from hmskort.cards.models import Card
from hmskort.registries.models import BrregUnit, FeedCursor
from hmskort.registries.tasks import sync_brreg_feeds

from .payloads import API, unit
from .test_register_facts_reach_cards import FeedStandIn, seen_by_a_checker, valid_card

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_vat_registration_lost_and_regained_in_the_change_feed_reaches_the_card_check(
    brreg_api, client, django_capture_on_commit_callbacks
):
    card = valid_card()
    orgnr, name = card.company.orgnr, card.company.name
    for feed in ("brreg:enheter", "brreg:underenheter"):
        FeedCursor.objects.create(feed=feed, last_update_id=4999)
    feed = FeedStandIn(brreg_api)
    FeedStandIn(brreg_api, "underenheter")
    assert seen_by_a_checker(client, card) is True

    for in_vat in (False, True):
        feed.publish(orgnr, at=timezone.now())
        brreg_api.clear_handler_errors()
        handler = brreg_api.expect_oneshot_request(f"{API}/enheter/{orgnr}")
        handler.respond_with_json(unit(orgnr, name, registrertIMvaregisteret=in_vat))
        # The periodic job as the scheduler queues it; the tests' huey runs jobs at once, and
        # the recompute job it queues on commit runs then too.
        with django_capture_on_commit_callbacks(execute=True):
            sync_brreg_feeds()

        assert BrregUnit.objects.get(orgnr=orgnr).registered_in_vat is in_vat
        assert seen_by_a_checker(client, card) is in_vat
        card.refresh_from_db()
        assert ("not_in_vat_register" in card.reasons) is (not in_vat)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"),
    reason="real job workers and web server share the test database: PostgreSQL and Redis",
)
def test_in_real_processes_a_change_in_the_feed_reaches_the_check_served_by_gunicorn():
    # bench/register_to_check.py runs the chain with a real huey consumer over Redis and
    # gunicorn against this test database; it exits non-zero if a round never sees the change.
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_REPLICA_URL", "MAKEFLAGS"}}
    env["DATABASE_URL"] = url
    connection.close()
    port = _free_port()
    while port + 1 > 65535:
        port = _free_port()

    result = subprocess.run(
        [
            sys.executable,
            str(CHECKOUT / "bench" / "register_to_check.py"),
            "--port",
            str(port),
            "--rounds",
            "2",
            "--cards",
            "200",
            "--companies",
            "60",
        ],
        cwd=CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "VAT registration gone -> check answers valid=False" in result.stdout
    assert "VAT registration back -> check answers valid=True" in result.stdout
    assert Card.objects.exists()
