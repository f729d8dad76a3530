"""The company page: access in force leads, revoked and expired access is history, and the
details say who gave the access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.cards.numbers import format_card_number
from hmskort.companies.services import grant_delegation, revoke_delegation
from tests.factories import PersonFactory, RoleFactory, national_id_for

pytestmark = pytest.mark.django_db


def test_revoked_and_expired_access_is_listed_apart_from_access_in_force(log_in_as):
    role = RoleFactory(code="DAGL", holder_name="Siri Sjef")
    client = log_in_as(PersonFactory(national_id=role.national_id))
    company = role.company

    def give(serial, name, **dates):
        return grant_delegation(
            company=company,
            grantor_national_id=role.national_id,
            national_id=national_id_for(dt.date(1990, 1, 1), serial),
            grantee_name=name,
            actor=Actor.system("test"),
            **dates,
        )

    give(1, "Aktiv Person")
    revoked = give(2, "Tilbaketrukket Person")
    revoke_delegation(
        delegation=revoked, revoker_national_id=role.national_id, actor=Actor.system("test")
    )
    with pytest.MonkeyPatch.context() as mp:
        past = timezone.localdate() - dt.timedelta(days=30)
        mp.setattr(timezone, "localdate", lambda: past)
        give(3, "Utløpt Person", ends_on=past + dt.timedelta(days=2))

    page = client.get(f"/en/companies/{company.orgnr}/").content.decode()

    current = page[page.index('id="access-heading"') : page.index('id="past-access-heading"')]
    earlier = page[page.index('id="past-access-heading"') : page.index('id="history-heading"')]
    assert "Aktiv Person" in current
    assert "Tilbaketrukket" not in current and "Utløpt" not in current
    assert "Tilbaketrukket Person" in earlier and "Utløpt Person" in earlier

    details = client.get(f"/en/companies/{company.orgnr}/access/{revoked.pk}/").content.decode()
    assert "Given by" in details and "Siri Sjef" in details


def test_form_errors_are_summed_up_at_the_top_and_each_field_is_marked_and_described(
    log_in_as,
):
    role = RoleFactory(code="DAGL")
    client = log_in_as(PersonFactory(national_id=role.national_id))

    response = client.post(
        f"/en/companies/{role.company.orgnr}/access/new/",
        {"national_id": "123", "grantee_name": ""},
    )

    body = response.content.decode()
    summary = body[
        body.index('id="error-summary"') : body.index("</ul>", body.index('id="error-summary"'))
    ]
    assert "autofocus" in body[: body.index("</div>", body.index('id="error-summary"'))]
    assert 'href="#id_national_id"' in summary and 'href="#id_grantee_name"' in summary
    assert body.count('aria-invalid="true"') == 2
    assert 'aria-describedby="id_national_id-error"' in body
    assert 'id="id_national_id-error"' in body


def test_the_history_is_behind_a_link_on_its_own_pages_newest_first(log_in_as):
    from hmskort.audit.services import Actor, record
    from tests.factories import CardFactory

    role = RoleFactory(code="DAGL")
    company = role.company
    client = log_in_as(PersonFactory(national_id=role.national_id))
    cards = [CardFactory(company=company) for _ in range(30)]
    for card in cards:
        record(actor=Actor.system("test"), action="card.issued", target=card, company=company)

    page = client.get(f"/en/companies/{company.orgnr}/").content.decode()
    assert f'href="/en/companies/{company.orgnr}/history/"' in page
    assert "Issued" not in page  # no event on the company page itself

    first = client.get(f"/en/companies/{company.orgnr}/history/").content.decode()
    second = client.get(f"/en/companies/{company.orgnr}/history/", {"page": 2}).content.decode()
    newest, oldest = (format_card_number(c.number) for c in (cards[-1], cards[0]))
    assert f"Card {newest}: Issued" in first and newest not in second
    assert f"Card {oldest}: Issued" in second and oldest not in first
    assert "Page 1 of 2" in first
    assert "?page=2" in first
    norwegian = client.get(f"/virksomheter/{company.orgnr}/historikk/").content.decode()
    assert f"Kort {newest}: Utstedt" in norwegian


def test_another_companys_history_is_not_found(log_in_as):
    role = RoleFactory(code="DAGL")
    other = RoleFactory().company
    client = log_in_as(PersonFactory(national_id=role.national_id))

    assert client.get(f"/en/companies/{other.orgnr}/history/").status_code == 404
