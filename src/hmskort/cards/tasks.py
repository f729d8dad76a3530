"""Background jobs for cards (huey). Recompute jobs are queued only through `cards.jobs`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from hmskort.people.models import Employment, Person

from . import checkcache
from .models import Card, CardState
from .recompute import recompute_cards

# How far back the daily job looks for dates that passed (covers a few missed days).
LOOKBACK_DAYS = 7


@db_task()
def recompute_facts(
    *,
    card_ids: list[int],
    company_ids: list[int],
    orgnrs: list[str],
    person_ids: list[int],
    cause: str,
    unit_orgnrs: list[str] | None = None,
) -> int:
    """Recompute the cards touched by facts announced in one committed transaction.
    (`unit_orgnrs` has a default: jobs queued before it existed still run.)"""
    return recompute_cards(
        card_ids=card_ids,
        company_ids=company_ids,
        orgnrs=orgnrs,
        person_ids=person_ids,
        unit_orgnrs=unit_orgnrs,
        cause=cause,
    )


def cards_touched_by_time(today: dt.date) -> list[int]:
    """Cards whose validity may have changed because days passed.

    Expiry dates reached by cards still stored as valid; employments that ended or began, and
    residence permits that ran out, within the last few days.
    """
    since = today - dt.timedelta(days=LOOKBACK_DAYS)
    ids = set(
        Card.objects.filter(valid=True, state=CardState.ISSUED, expires_on__lte=today).values_list(
            "pk", flat=True
        )
    )
    pairs = Employment.objects.filter(
        Q(ends_on__gte=since, ends_on__lt=today) | Q(starts_on__gt=since, starts_on__lte=today)
    ).values_list("person_id", "main_unit_id")
    condition = Q(pk__in=[])
    for person_id, main_unit_id in pairs:
        condition |= Q(holder_id=person_id, company_id=main_unit_id)
        if len(condition) > 500:
            ids.update(Card.objects.filter(condition).values_list("pk", flat=True))
            condition = Q(pk__in=[])
    ids.update(Card.objects.filter(condition).values_list("pk", flat=True))
    permit_holders = Person.objects.filter(
        needs_residence_permit=True,
        residence_permit_until__gte=since,
        residence_permit_until__lt=today,
    ).values_list("pk", flat=True)
    ids.update(Card.objects.filter(holder_id__in=permit_holders).values_list("pk", flat=True))
    return sorted(ids)


@db_periodic_task(crontab(hour="0", minute="5"))
def recompute_for_passing_time() -> int:
    """Daily: cards whose expiry passed, and employments or permits that ended, are rechecked."""
    ids = cards_touched_by_time(timezone.localdate())
    return recompute_cards(card_ids=ids, cause="daily") if ids else 0


@db_periodic_task(crontab(minute="20"))
def warm_check_cache() -> int:
    """Hourly: every card's answer into the check's cache (cards.checkcache.warm), so checks of
    any existing number are answered from Redis, and renames reach the cached answers."""
    return checkcache.warm() if settings.HMSKORT_CHECK_CACHE_WARM else 0
