"""The daily alert e-mails: for each company, one digest of the cards that stopped being valid
since the last digest, and one mail of the cards that now expire within 60 or 30 days. Never one
mail per card.

Idempotent: a company's digest of a kind for a day is a row (unique), the cards it lists are
stored in it, each threshold of each card is announced once (`ExpiryNotice`, unique), and each
mail sent is a `Delivery` row (unique per digest and person) written in the same transaction as
the sending; a run that fails to send rolls the row back and the next run tries again. Running
the job twice the same day sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import ngettext

from hmskort.cards.numbers import format_card_number
from hmskort.cards.reasons import explain
from hmskort.companies.models import Company

from . import selectors
from .models import Delivery, Digest, ExpiryNotice, Kind
from .services import unsubscribe_url

log = logging.getLogger(__name__)

# A first digest (or one after a long pause) looks back at most this far.
FIRST_DIGEST_LOOKBACK = dt.timedelta(days=1)
MAX_LOOKBACK = dt.timedelta(days=7)


@dataclass
class RunResult:
    digests: int = 0
    sent: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def send_alerts(*, now: dt.datetime | None = None) -> RunResult:
    """One run of the daily job: every company with someone to tell, both kinds of alert."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = RunResult()
    recipients = selectors.recipients(today=today)
    companies = Company.objects.in_bulk(list(recipients))
    for company_id, people in sorted(recipients.items()):
        company = companies[company_id]
        for kind in (Kind.INVALID, Kind.EXPIRY):
            wanting = [r for r in people if r.choice.wants(kind)]
            if not wanting:
                continue
            digest = _digest(company, kind, today=today, now=now)
            result.digests += 1
            if not digest.items:
                continue
            for recipient in wanting:
                if _deliver(digest, company, recipient):
                    result.sent += 1
                    result.by_kind[kind] = result.by_kind.get(kind, 0) + 1
    return result


def _digest(company: Company, kind: str, *, today: dt.date, now: dt.datetime) -> Digest:
    """Today's digest of this kind for the company: found, or made now (with what it lists)."""
    existing = Digest.objects.filter(company=company, kind=kind, day=today).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            if kind == Kind.INVALID:
                return _invalid_digest(company, today=today, now=now)
            return _expiry_digest(company, today=today, now=now)
    except IntegrityError:  # another run made it at the same moment
        return Digest.objects.get(company=company, kind=kind, day=today)


def _invalid_digest(company: Company, *, today: dt.date, now: dt.datetime) -> Digest:
    last = (
        Digest.objects.filter(company=company, kind=Kind.INVALID)
        .order_by("-covers_to")
        .values_list("covers_to", flat=True)
        .first()
    )
    since = max(last, now - MAX_LOOKBACK) if last else now - FIRST_DIGEST_LOOKBACK
    turned = selectors.cards_turned_invalid(company, since=since, until=now)
    return Digest.objects.create(
        company=company,
        kind=Kind.INVALID,
        day=today,
        covers_from=since,
        covers_to=now,
        items=[{"card": card_id, "since": at.isoformat()} for card_id, at in turned],
    )


def _expiry_digest(company: Company, *, today: dt.date, now: dt.datetime) -> Digest:
    reaching = selectors.cards_reaching_expiry(company, today=today)
    digest = Digest.objects.create(
        company=company,
        kind=Kind.EXPIRY,
        day=today,
        covers_from=now,
        covers_to=now,
        items=[{"card": card_id, "threshold": threshold} for card_id, threshold in reaching],
    )
    ExpiryNotice.objects.bulk_create(
        [ExpiryNotice(card_id=c, threshold=t, digest=digest) for c, t in reaching]
    )
    return digest


def _deliver(digest: Digest, company: Company, recipient: selectors.Recipient) -> bool:
    """E-mail the digest to one person, once. False if it was sent before."""
    try:
        with transaction.atomic():
            Delivery.objects.create(
                digest=digest,
                person_id=recipient.person_id,
                email=recipient.email,
                language=recipient.language,
            )
            message = build_message(digest, company, recipient)
            if message is None:
                return False
            message.send()
    except IntegrityError:  # sent before (or by a run at the same moment)
        return False
    except Exception:
        # The mail server refused or was away: nothing is recorded, the next run tries again;
        # the other recipients and companies are not held up.
        log.warning(
            "alert e-mail not sent; the next run tries again",
            extra={"digest": digest.pk, "person": recipient.person_id},
            exc_info=True,
        )
        return False
    return True


def _date(value: dt.date) -> str:
    return formats.date_format(value)


def digest_lines(digest: Digest, company: Company, language: str) -> list[dict[str, Any]]:
    """The cards of a digest, in the recipient's language: the company's own cards only."""
    cards = selectors.cards_for_digest(company, [item["card"] for item in digest.items])
    lines = []
    with translation.override(language):
        for item in digest.items:
            card = cards.get(item["card"])
            if card is None:
                continue
            line: dict[str, Any] = {
                "holder": card.holder.full_name,
                "number": format_card_number(card.number),
                "raw_number": card.number,
                "card_type": card.card_type.name(language),
                "expires_on": _date(card.expires_on) if card.expires_on else "",
            }
            if digest.kind == Kind.INVALID:
                since = timezone.localdate(dt.datetime.fromisoformat(item["since"]))
                line["since"] = _date(since)
                line["reasons"] = [explain(code) for code in card.reasons]
            else:
                line["threshold"] = item["threshold"]
                if card.expires_on:
                    line["days_left"] = (card.expires_on - digest.day).days
            lines.append(line)
    return lines


def _url(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return settings.HMSKORT_BASE_URL + reverse(name, kwargs=kwargs)


def build_message(
    digest: Digest, company: Company, recipient: selectors.Recipient
) -> EmailMultiAlternatives | None:
    language = recipient.language
    lines = digest_lines(digest, company, language)
    if not lines:
        return None
    stop = unsubscribe_url(
        person_id=recipient.person_id, company_id=company.pk, kind=digest.kind, language=language
    )
    context: dict[str, Any] = {
        "name": recipient.name,
        "company": company.name,
        "orgnr": company.orgnr,
        "lines": lines,
        "overview_url": _url("portal:employees", language, orgnr=company.orgnr),
        "settings_url": _url("portal:alert_settings", language, orgnr=company.orgnr),
        "unsubscribe_url": stop,
    }
    with translation.override(language):
        context["day"] = _date(digest.day)
        if digest.kind == Kind.INVALID:
            subject = ngettext(
                "HSE cards: %(n)s card from %(company)s is no longer valid",
                "HSE cards: %(n)s cards from %(company)s are no longer valid",
                len(lines),
            ) % {"n": len(lines), "company": company.name}
            template = "alerts/invalid_email"
        else:
            subject = ngettext(
                "HSE cards: %(n)s card from %(company)s expires soon",
                "HSE cards: %(n)s cards from %(company)s expire soon",
                len(lines),
            ) % {"n": len(lines), "company": company.name}
            numbers = "&".join(f"card={line['raw_number']}" for line in lines)
            context["renew_url"] = (
                _url("portal:renew", language, orgnr=company.orgnr) + "?" + numbers
            )
            template = "alerts/expiry_email"
        context["subject"] = subject
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[recipient.email],
        headers={
            "List-Unsubscribe": f"<{stop}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    log.info("alert e-mail %s for company %s: %d cards", digest.kind, company.pk, len(lines))
    return message
