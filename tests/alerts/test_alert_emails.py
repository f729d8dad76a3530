"""Alert e-mails to a company's orderers: a daily digest of the cards that stopped being valid,
with the reasons in plain words, and mails when cards expire within 60 and 30 days. One mail per
company (never one per card), each sent once, in the recipient's language, never with another
company's data, and never to someone who turned them off."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from hmskort.alerts.models import Delivery, Digest
from hmskort.alerts.sending import send_alerts
from hmskort.alerts.tasks import send_daily_alerts
from hmskort.cards.models import CardState
from hmskort.cards.numbers import format_card_number
from hmskort.cards.recompute import recompute_cards
from hmskort.cards.rules import reason_text, reason_title
from hmskort.companies.models import Delegation
from tests.factories import PersonFactory

from .conftest import card_for, orderer, turned_invalid, wants

pytestmark = pytest.mark.django_db


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def html_of(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def test_the_daily_digest_lists_each_card_that_turned_invalid_with_the_reasons_in_words(
    acme, siri, ivar
):
    gone = turned_invalid(card_for(acme, "Eli"), ["employment_ended", "company_bankrupt"])
    card_for(acme, "Vera")  # still valid: not in the digest

    send_alerts()

    [message] = mails_to("siri@acme.no")
    assert "2 kort fra Acme Bygg AS er ikke lenger gyldige" in message.subject
    for text in (message.body, html_of(message)):
        assert "Ivar Hansen" in text and "Eli Hansen" in text
        assert format_card_number(ivar.number) in text and format_card_number(gone.number) in text
        for code in ("not_in_vat_register", "employment_ended", "company_bankrupt"):
            assert reason_title(code) in text
        assert "Vera Hansen" not in text
    assert reason_text("not_in_vat_register") in message.body
    assert "https://www.skatteetaten.no/bedrift-og-organisasjon/avgifter/mva/" in message.body
    assert f"ikke gyldig siden {timezone.localdate():%d.%m.%Y}" in message.body


def test_a_digest_holds_only_the_companys_own_cards(acme, other, siri, ivar):
    orderer(other, email="ane@annet.no", given="Ane")
    theirs = turned_invalid(card_for(other, "Fremmed"), ["company_bankrupt"])

    send_alerts()

    [ours] = mails_to("siri@acme.no")
    [their_mail] = mails_to("ane@annet.no")
    for text in (ours.subject, ours.body, html_of(ours)):
        assert "Fremmed" not in text
        assert format_card_number(theirs.number) not in text
        assert "Annet Firma" not in text
    assert "Fremmed Hansen" in their_mail.body and "Ivar" not in their_mail.body


def test_one_person_ordering_for_two_companies_gets_one_digest_for_each(acme, other, siri, ivar):
    also_orderer(other, siri)
    turned_invalid(card_for(other, "Fremmed"), ["company_bankrupt"])

    send_alerts()

    subjects = sorted(m.subject for m in mails_to("siri@acme.no"))
    assert len(subjects) == 2
    assert "Acme Bygg AS" in subjects[0] and "Annet Firma AS" in subjects[1]


def also_orderer(company, person):
    """The person also holds an ordering role in this company."""
    from tests.factories import RoleFactory

    return RoleFactory(company=company, national_id=person.national_id, code="DAGL")


def test_many_cards_turning_invalid_make_one_mail_not_one_per_card(acme, siri):
    for n in range(5):
        turned_invalid(card_for(acme, f"Ansatt{n}"), ["employment_ended"])

    send_alerts()

    [message] = mails_to("siri@acme.no")
    assert "5 kort" in message.subject


def test_running_the_job_twice_the_same_day_sends_nothing_twice(acme, siri, ivar):
    card_for(acme, "Eli", expires_on=timezone.localdate() + dt.timedelta(days=50))

    first = send_alerts()
    second = send_alerts()
    send_daily_alerts.call_local()

    assert first.sent == 2
    assert second.sent == 0
    assert len(mails_to("siri@acme.no")) == 2
    assert Digest.objects.filter(company=acme).count() == 2  # one per kind for the day
    assert Delivery.objects.count() == 2


def test_the_next_days_digest_lists_only_cards_that_turned_invalid_since_the_last(acme, siri, ivar):
    send_alerts()
    mail.outbox.clear()

    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        turned_invalid(card_for(acme, "Eli"), ["employment_ended"])
        send_alerts()

    [message] = mails_to("siri@acme.no")
    assert "Eli Hansen" in message.body
    assert "Ivar Hansen" not in message.body


def test_no_mail_when_no_card_turned_invalid_or_reaches_an_expiry_threshold(acme, siri):
    card_for(acme, "Vera")
    # Not valid since long before the first digest: told about earlier, not again.
    turned_invalid(
        card_for(acme, "Gammel"), ["employment_ended"], at=timezone.now() - dt.timedelta(days=30)
    )

    send_alerts()

    assert mail.outbox == []


def test_a_card_that_expires_overnight_is_in_the_next_digest(acme, siri):
    """Through the real recompute: the daily job finds the expiry passed and says why."""
    card = card_for(acme, "Utløpt", expires_on=timezone.localdate() - dt.timedelta(days=1))
    recompute_cards(card_ids=[card.pk], cause="daily")

    send_alerts()

    [message] = mails_to("siri@acme.no")
    assert "Utløpt Hansen" in message.body
    assert reason_title("card_expired") in message.body


def test_expiry_mails_come_once_at_60_days_and_once_at_30_days(acme, siri):
    today = timezone.localdate()
    card = card_for(acme, "Eli", expires_on=today + dt.timedelta(days=59))
    card_for(acme, "Vera", expires_on=today + dt.timedelta(days=200))

    send_alerts()
    [first] = mails_to("siri@acme.no")
    assert "Eli Hansen" in first.body and "Vera" not in first.body
    assert "1 kort fra Acme Bygg AS utløper snart" in first.subject
    assert f"utløper {card.expires_on:%d.%m.%Y}, om 59 dager" in first.body

    for days in range(1, 29):  # the following days: nothing new until 30 days are left
        mail.outbox.clear()
        with time_machine.travel(timezone.now() + dt.timedelta(days=days)):
            send_alerts()
        assert mails_to("siri@acme.no") == [], days

    with time_machine.travel(timezone.now() + dt.timedelta(days=29)):
        send_alerts()
        [second] = mails_to("siri@acme.no")
        assert "om 30 dager" in second.body
        mail.outbox.clear()
        send_alerts()
        assert mail.outbox == []


def test_a_card_first_seen_with_20_days_left_gets_only_the_30_day_mail(acme, siri):
    card_for(acme, "Eli", expires_on=timezone.localdate() + dt.timedelta(days=20))

    send_alerts()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        send_alerts()

    [message] = mails_to("siri@acme.no")
    assert "om 20 dager" in message.body


def test_a_card_already_renewed_gets_no_expiry_mail(acme, siri):
    old = card_for(acme, "Eli", expires_on=timezone.localdate() + dt.timedelta(days=40))
    from tests.factories import CardFactory

    CardFactory(
        holder=old.holder,
        company=acme,
        state=CardState.AWAITING_DOCUMENTS,
        replaces=old,
        issued_on=None,
        valid=False,
    )

    send_alerts()

    assert mail.outbox == []


def test_the_expiry_mail_links_to_renewal_with_the_cards_chosen(acme, siri):
    card = card_for(acme, "Eli", expires_on=timezone.localdate() + dt.timedelta(days=40))

    send_alerts()

    [message] = mails_to("siri@acme.no")
    link = f"/virksomheter/{acme.orgnr}/forny/?card={card.number}"
    assert link in message.body
    assert link.replace("&", "&amp;") in html_of(message)


def test_opting_out_of_one_kind_stops_only_that_kind(acme, siri, ivar):
    wants(siri, acme, email="siri@acme.no", invalid=False)
    card_for(acme, "Eli", expires_on=timezone.localdate() + dt.timedelta(days=45))

    send_alerts()

    [message] = mails_to("siri@acme.no")
    assert "utløper snart" in message.subject
    assert "Ivar" not in message.body


def test_opting_out_for_one_company_keeps_the_other_companys_alerts(acme, other, siri, ivar):
    also_orderer(other, siri)
    wants(siri, acme, email="siri@acme.no", invalid=False, expiry=False)
    turned_invalid(card_for(other, "Fremmed"), ["company_bankrupt"])

    send_alerts()

    [message] = mails_to("siri@acme.no")
    assert "Annet Firma AS" in message.subject


def test_a_delegate_gets_alerts_while_the_delegation_is_in_force_and_not_after(acme, ivar):
    delegate = PersonFactory(given_name="Dag", family_name="Delegat")
    delegation = Delegation.objects.create(
        company=acme,
        national_id=delegate.national_id,
        grantee_name="Dag Delegat",
        granted_by_national_id="01010112345",
    )
    wants(delegate, acme, email="dag@acme.no")
    send_alerts()
    assert len(mails_to("dag@acme.no")) == 1

    delegation.revoked_at = timezone.now()
    delegation.save()
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        turned_invalid(card_for(acme, "Eli"), ["employment_ended"])
        send_alerts()
    assert mails_to("dag@acme.no") == []


def test_a_role_holder_without_an_email_address_gets_nothing_and_nothing_fails(acme, ivar):
    from tests.factories import RoleFactory

    RoleFactory(company=acme)

    result = send_alerts()

    assert result.sent == 0 and mail.outbox == []


def test_the_mail_is_in_the_recipients_language_with_the_house_date_format(acme, siri, ivar):
    orderer(acme, email="john@acme.no", language="en", given="John")
    card = card_for(acme, "Eli", expires_on=dt.date(2028, 10, 31))

    with time_machine.travel(
        dt.datetime(2028, 9, 15, 6, 0, tzinfo=timezone.get_current_timezone())
    ):
        turned_invalid(card_for(acme, "Nina"), ["employment_ended"])
        send_alerts()

    english = {m.subject: m for m in mails_to("john@acme.no")}
    norwegian = {m.subject: m for m in mails_to("siri@acme.no")}
    assert "HSE cards: 1 card from Acme Bygg AS is no longer valid" in english
    assert "HSE cards: 1 card from Acme Bygg AS expires soon" in english
    assert "HMS-kort: 1 kort fra Acme Bygg AS er ikke lenger gyldig" in norwegian
    expiry_en = english["HSE cards: 1 card from Acme Bygg AS expires soon"]
    assert "expires 31 Oct 2028, in 46 days" in expiry_en.body
    assert "Hello John Sjef," in expiry_en.body
    assert '<html lang="en">' in html_of(expiry_en)
    assert expiry_en.extra_headers["Content-Language"] == "en"
    assert "/en/companies/" in expiry_en.body
    expiry_nb = norwegian["HMS-kort: 1 kort fra Acme Bygg AS utløper snart"]
    assert "utløper 31.10.2028, om 46 dager" in expiry_nb.body
    assert format_card_number(card.number) in expiry_nb.body
    invalid_en = english["HSE cards: 1 card from Acme Bygg AS is no longer valid"]
    assert "not valid since 15 Sep 2028" in invalid_en.body


def test_every_mail_has_a_plain_text_and_an_html_part_and_an_unsubscribe_header(acme, siri, ivar):

    send_alerts()

    [message] = mails_to("siri@acme.no")
    assert message.body.strip()
    assert "<ul" in html_of(message)
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_mail_carries_no_national_id_number(acme, siri, ivar):

    send_alerts()

    [message] = mails_to("siri@acme.no")
    for text in (message.body, html_of(message), message.extra_headers["List-Unsubscribe"]):
        assert ivar.holder.national_id not in text
        assert siri.national_id not in text


def test_the_job_is_a_periodic_task_at_the_configured_hour(settings):
    from hmskort.alerts import tasks

    task = tasks.send_daily_alerts.task_class()
    assert task.validate_datetime(
        dt.datetime(2028, 1, 3, settings.HMSKORT_ALERTS_HOUR, settings.HMSKORT_ALERTS_MINUTE)
    )
    assert not task.validate_datetime(
        dt.datetime(2028, 1, 3, (settings.HMSKORT_ALERTS_HOUR + 1) % 24, 0)
    )


def test_a_mail_server_that_is_away_loses_no_alert_the_next_run_sends_it(
    acme, settings, siri, ivar
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 1, False
    settings.EMAIL_TIMEOUT = 5

    refused = send_alerts()

    assert refused.sent == 0 and not Delivery.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_alerts().sent == 1
    [message] = mails_to("siri@acme.no")
    assert "Ivar Hansen" in message.body
