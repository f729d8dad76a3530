"""The anonymous card check answers from a Redis cache (one round trip with the rate limits) and
never shows a stale validity or state once a change has committed.

The cache exists only with Redis (REDIS_URL): these tests run in the PostgreSQL + Redis run;
without Redis every check reads the database (the last tests here, in both runs)."""

import datetime as dt
import json
import os
import time

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from hmskort import ratelimit
from hmskort.audit.services import Actor
from hmskort.cards import checkcache, lookup, services
from hmskort.cards.models import Card
from hmskort.cards.recompute import recompute_cards
from hmskort.registries.models import BrregUnit
from hmskort.registries.signals import register_facts_changed
from tests.api.test_lean_check import served
from tests.factories import CardFactory, employed_person, registered_company

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
ACTOR = Actor.system("test")


def check(number, **extra):
    status, headers, body = served(f"/api/v1/cards/{number}", **extra)
    return status, json.loads(body), headers


def make_card(**kwargs):
    company = registered_company()
    fields = {"valid": True, "reasons": [], **kwargs}
    return CardFactory(company=company, holder=employed_person(company), **fields)


@pytest.fixture
def limits_lifted(settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 10**6
    settings.HMSKORT_CHECK_RATE_PER_DAY = 10**6


def _reads(number):
    """Check the card and say how many database queries the check made."""
    with CaptureQueriesContext(connection) as queries:
        status, data, _headers = check(number)
    assert status == 200
    return data, len(queries)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_second_check_of_a_card_is_answered_without_reading_the_database(limits_lifted):
    card = make_card()
    first, first_reads = _reads(card.number)
    checkcache.flush()  # (else the next check's round trip stores it)
    second, second_reads = _reads(card.number)
    assert (first_reads, second_reads) == (1, 0)
    first.pop("checked_at"), second.pop("checked_at")
    assert first == second
    assert first["valid"] is True


@needs_redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("step", "state"),
    [
        (lambda card: services.card_block(card=card, actor=ACTOR), "blocked"),
        (lambda card: services.card_report_lost(card=card, actor=ACTOR), "lost"),
        (lambda card: services.card_report_stolen(card=card, actor=ACTOR), "stolen"),
        (lambda card: services.card_terminate(card=card, actor=ACTOR), "terminated"),
    ],
)
def test_a_lifecycle_change_shows_in_the_very_next_check_although_the_answer_was_cached(
    limits_lifted, step, state
):
    card = make_card()
    assert _reads(card.number)[0]["valid"] is True
    assert _reads(card.number)[1] == 0  # answered from the cache
    step(card)
    data, reads = _reads(card.number)
    assert (data["state"], data["valid"], reads) == (state, False, 1)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_unblocking_shows_at_once_too_although_the_validity_of_a_blocked_card_was_cached(
    limits_lifted,
):
    card = make_card()
    services.card_block(card=card, actor=ACTOR)
    assert _reads(card.number)[0]["state"] == "blocked"
    services.card_unblock(card=card, actor=ACTOR)
    data, _reads_made = _reads(card.number)
    assert (data["state"], data["valid"]) == ("issued", True)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_register_change_that_makes_a_card_invalid_shows_in_the_next_check(limits_lifted):
    """The bulk recompute path: Enhetsregisteret says the company left the VAT register; the
    register announces it, the recompute job runs on commit, the cached "valid" is gone."""
    card = make_card()
    assert _reads(card.number)[0]["valid"] is True
    assert _reads(card.number)[1] == 0
    with transaction.atomic():
        BrregUnit.objects.filter(orgnr=card.company.orgnr).update(registered_in_vat=False)
        register_facts_changed.send(
            sender=BrregUnit, orgnrs=[card.company.orgnr], cause="registry:brreg"
        )
    card.refresh_from_db()
    assert card.valid is False  # the recompute ran
    data, reads = _reads(card.number)
    assert (data["valid"], reads) == (False, 1)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_bulk_recompute_of_many_companies_forgets_every_changed_card(limits_lifted):
    cards = [make_card() for _ in range(3)]
    for card in cards:
        _reads(card.number)
    orgnrs = [card.company.orgnr for card in cards[:2]]
    BrregUnit.objects.filter(orgnr__in=orgnrs).update(registered_in_vat=False)
    assert recompute_cards(orgnrs=orgnrs, cause="registry:brreg") == 2
    assert [_reads(card.number)[0]["valid"] for card in cards] == [False, False, True]
    # The unchanged card is still answered from the cache.
    assert _reads(cards[2].number)[1] == 0


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_check_that_read_the_card_before_a_change_committed_cannot_cache_the_old_answer(
    limits_lifted,
):
    """The race: a check misses the cache and reads the row; the card is blocked and the block
    commits (the cache forgets the card); only then does the slow check store what it read.
    It must not be stored, so the next check answers "blocked"."""
    card = make_card()
    windows = ratelimit.anonymous_windows(_request().META)
    read_started = time.monotonic()
    limit, cached = checkcache.count_and_fetch(windows, card.number)
    assert limit.allowed and cached is None
    old = lookup.check_card_number(card.number)  # the slow check's read, before the change
    services.card_block(card=card, actor=ACTOR)  # commits; the cache forgets the card
    checkcache.remember(old, read_started=read_started)
    checkcache.flush()
    data, reads = _reads(card.number)
    assert (data["state"], data["valid"], reads) == ("blocked", False, 1)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_an_answer_stored_just_before_a_change_committed_is_forgotten(limits_lifted):
    card = make_card()
    read_started = time.monotonic()
    old = lookup.check_card_number(card.number)
    with transaction.atomic():
        services.card_block(card=card, actor=ACTOR)
        # The reader stores while the change is not yet committed: stored, then forgotten.
        checkcache.remember(old, read_started=read_started)
        checkcache.flush()
    assert _reads(card.number)[0]["state"] == "blocked"


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_miss_stores_its_answer_with_the_next_check_not_in_a_round_trip_of_its_own(
    limits_lifted,
):
    card, other = make_card(), make_card()
    assert _reads(card.number)[1] == 1  # a miss: read, answer remembered
    assert _reads(other.number)[1] == 1  # this round trip stored the first card's answer
    assert _reads(card.number)[1] == 0
    assert _reads(other.number)[1] == 0


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_check_whose_read_began_long_ago_does_not_cache_what_it_read(limits_lifted, settings):
    """Its read may predate a change whose tombstone has already expired."""
    settings.HMSKORT_CHECK_CACHE_TOMBSTONE_SECONDS = 30
    card = make_card()
    old = lookup.check_card_number(card.number)
    checkcache.remember(old, read_started=time.monotonic() - 16)
    checkcache.flush()
    assert _reads(card.number)[1] == 1
    checkcache.remember(old, read_started=time.monotonic())
    checkcache.flush()
    assert _reads(card.number)[1] == 0


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_forgets_nothing(limits_lifted):
    card = make_card()
    _reads(card.number)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.card_block(card=card, actor=ACTOR)
        raise RuntimeError("rolled back")
    data, reads = _reads(card.number)
    assert (data["state"], reads) == ("issued", 0)


@needs_redis
@pytest.mark.django_db
def test_the_cached_answer_speaks_the_language_of_each_request(limits_lifted):
    card = make_card()
    _status, nb, headers_nb = check(card.number, HTTP_ACCEPT_LANGUAGE="nb")
    _status, en, headers_en = check(card.number, HTTP_ACCEPT_LANGUAGE="en")
    assert nb["card_type_name"] == card.card_type.name_nb
    assert en["card_type_name"] == card.card_type.name_en
    assert (headers_nb["Content-Language"], headers_en["Content-Language"]) == ("nb", "en")


@needs_redis
@pytest.mark.django_db
def test_the_cache_keeps_no_birth_date_national_id_or_reasons(limits_lifted):
    card = make_card(valid=False, reasons=["not_in_vat_register"])
    assert check(card.number)[1]["valid"] is False
    checkcache.flush()
    client, make_key = ratelimit.shared_redis()
    stored = client.get(make_key(f"check:v1:{card.number}")).decode()
    assert card.holder.national_id not in stored
    assert card.holder.birth_date.isoformat() not in stored
    assert "not_in_vat_register" not in stored
    assert card.holder.given_name in stored  # what the check shows, and only that


@needs_redis
@pytest.mark.django_db
def test_a_cached_check_still_counts_against_the_minute_limit_shared_with_the_check_page(settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 3
    card = make_card()
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 20, 5, tzinfo=dt.UTC), tick=False):
        assert check(card.number)[0] == 200
        assert check(card.number)[0] == 200  # from the cache, counted all the same
        # The check page counts the same counter (another process would too: it is Redis).
        assert ratelimit.hit_anonymous(_request()).allowed
        status, data, headers = check(card.number, HTTP_ACCEPT_LANGUAGE="en")
    assert status == 429
    assert data["code"] == "rate_limited"
    assert headers["Retry-After"] == "55"
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 21, 1, tzinfo=dt.UTC), tick=False):
        assert check(card.number)[0] == 200


@needs_redis
@pytest.mark.django_db
def test_the_daily_limit_refuses_cached_answers_until_midnight(settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 100
    settings.HMSKORT_CHECK_RATE_PER_DAY = 3
    card = make_card()
    with time_machine.travel(dt.datetime(2026, 6, 15, 20, 0, tzinfo=dt.UTC), tick=False):
        assert [check(card.number)[0] for _ in range(4)] == [200, 200, 200, 429]
        status, data, headers = check(card.number, HTTP_ACCEPT_LANGUAGE="nb")
    assert (status, headers["Retry-After"]) == (429, str(4 * 3600))
    assert data["detail"] == "For mange forespørsler. Prøv igjen om 14400 sekunder."
    with time_machine.travel(dt.datetime(2026, 6, 16, 0, 0, 1, tzinfo=dt.UTC), tick=False):
        assert check(card.number)[0] == 200


@needs_redis
@pytest.mark.django_db
def test_a_malformed_number_is_counted_and_refused_with_the_reason(settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 1
    card = make_card()
    status, data, _headers = check("1234", HTTP_ACCEPT_LANGUAGE="en")
    assert (status, data["code"]) == (422, "length")
    assert check(card.number)[0] == 429


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_the_check_never_writes_to_the_database_hit_or_miss(limits_lifted):
    card = make_card()
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert check(card.number)[0] == 200
        assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_the_cache_can_be_switched_off(limits_lifted, settings):
    settings.HMSKORT_CHECK_CACHE_SECONDS = 0
    card = make_card()
    assert [_reads(card.number)[1] for _ in range(2)] == [1, 1]


def test_forgetting_never_fails_the_change_when_redis_is_down(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    with caplog.at_level("ERROR"):
        checkcache.forget(["123456789012"])
    assert "could not forget 1 cards" in caplog.text
    assert "123456789012" not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_without_the_cache_every_check_reads_the_database_and_sees_a_change_at_once(
    limits_lifted, settings
):
    if os.environ.get("REDIS_URL"):
        settings.HMSKORT_CHECK_CACHE_SECONDS = 0
    card = make_card()
    assert not checkcache.enabled()
    assert _reads(card.number)[0]["valid"] is True
    services.card_block(card=card, actor=ACTOR)
    data, reads = _reads(card.number)
    assert (data["state"], data["valid"], reads) == ("blocked", False, 1)
    assert Card.objects.get(pk=card.pk).state == "blocked"


@pytest.mark.django_db
def test_on_postgresql_the_check_query_is_planned_once_per_connection_not_per_check():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    card = make_card()
    for _ in range(2):
        assert lookup.check_card_number(card.number).number == card.number
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("c.number = $1" in statement for statement in prepared)


def _request():
    from django.test import RequestFactory

    return RequestFactory().get("/", REMOTE_ADDR="192.0.2.10")


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_after_the_hourly_warm_job_every_card_is_answered_without_reading_the_database(
    limits_lifted,
):
    from hmskort.cards.tasks import warm_check_cache

    cards = [make_card() for _ in range(3)]
    blocked = make_card(state="blocked", valid=False)
    assert warm_check_cache.call_local() == 4
    for card in cards:
        data, reads = _reads(card.number)
        assert (data["card_number"], data["valid"], reads) == (card.number, True, 0)
    data, reads = _reads(blocked.number)
    assert (data["state"], data["valid"], reads) == ("blocked", False, 0)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_the_cache_is_filled_in_chunks_and_a_change_afterwards_still_shows_at_once(
    limits_lifted,
):
    cards = [make_card() for _ in range(5)]
    assert checkcache.warm(chunk=2) == 5
    services.card_block(card=cards[3], actor=ACTOR)
    assert [_reads(card.number)[1] for card in cards] == [0, 0, 0, 1, 0]
    assert _reads(cards[3].number)[0]["state"] == "blocked"


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_card_changed_while_the_cache_is_filled_is_not_stored_with_its_old_answer(
    limits_lifted, monkeypatch
):
    """The warm job read a chunk; the card is blocked and the block commits before the chunk is
    stored: the old answer must not be stored over the tombstone."""
    card = make_card()
    read = lookup.cards_after

    def read_then_block(last_id, limit):
        rows = read(last_id, limit)
        if rows:
            monkeypatch.setattr(lookup, "cards_after", read)
            services.card_block(card=Card.objects.get(pk=card.pk), actor=ACTOR)
        return rows

    monkeypatch.setattr(lookup, "cards_after", read_then_block)
    assert checkcache.warm() == 0
    data, reads = _reads(card.number)
    assert (data["state"], data["valid"], reads) == ("blocked", False, 1)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_rename_reaches_the_cached_answer_with_the_next_warm_run(limits_lifted):
    from hmskort.people.models import Person

    card = make_card()
    checkcache.warm()
    old_name = _reads(card.number)[0]["holder_name"]
    Person.objects.filter(pk=card.holder_id).update(given_name="Astrid")
    assert _reads(card.number)[0]["holder_name"] == old_name
    checkcache.warm()
    assert _reads(card.number)[0]["holder_name"].startswith("Astrid ")


@pytest.mark.django_db
def test_the_warm_job_stores_nothing_when_switched_off(settings):
    from hmskort.cards.tasks import warm_check_cache

    settings.HMSKORT_CHECK_CACHE_WARM = False
    make_card()
    assert warm_check_cache.call_local() == 0


@pytest.mark.django_db
def test_the_warm_command_says_what_it_stored_or_that_the_cache_is_off():
    from io import StringIO

    from django.core.management import call_command

    make_card()
    out = StringIO()
    call_command("cards", "warm-cache", stdout=out)
    if checkcache.enabled():
        assert out.getvalue().startswith("1 answers stored in ")
    else:
        assert "cache is off" in out.getvalue()
