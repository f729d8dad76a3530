"""The employees' overview: every employee with the status of their card and, where it is not
valid, every reason in plain words: what is wrong, what to do, where, and since when."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hmskort.cards.models import CardState, CardType
from hmskort.cards.reasons import WHERE
from hmskort.cards.rules import REASONS, reason_text, reason_title
from hmskort.cards.selectors import validity_counts
from tests.factories import (
    CardFactory,
    EmploymentFactory,
    PersonFactory,
    RoleFactory,
    SubUnitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_client(log_in_as):
    role = RoleFactory()
    return log_in_as(PersonFactory(national_id=role.national_id)), role.company


def url(company, lang="en"):
    return (
        f"/en/companies/{company.orgnr}/employees/"
        if lang == "en"
        else (f"/virksomheter/{company.orgnr}/ansatte/")
    )


def employee(company, name, **card):
    person = PersonFactory(given_name=name, family_name="Hansen")
    EmploymentFactory(person=person, employer=company)
    if card:
        CardFactory(holder=person, company=company.main_unit, **card)
    return person


def row_of(page: str, name: str) -> str:
    """The table row of one employee (from their name to the end of the row)."""
    start = page.index(f"{name} Hansen")
    return page[start : page.index("</tr>", start)]


def test_each_employee_has_a_status_in_words(company_client):
    client, company = company_client
    today = timezone.localdate()
    employee(company, "Vera", expires_on=today + dt.timedelta(days=400))
    employee(company, "Eli", expires_on=today + dt.timedelta(days=30))
    employee(company, "Ivar", valid=False, reasons=["not_in_vat_register"])
    employee(
        company, "Olga", state=CardState.IN_PRODUCTION, valid=False, reasons=["card_not_issued"]
    )
    employee(company, "Nils")

    page = client.get(url(company)).content.decode()

    assert "Valid" in row_of(page, "Vera")
    assert "Valid, expires within 60 days" in row_of(page, "Eli")
    assert "Not valid" in row_of(page, "Ivar")
    assert "Ordered or in production" in row_of(page, "Olga")
    assert "No card" in row_of(page, "Nils")
    assert "5 employees" in page


REASONS_ON_LIVE_CARDS = [
    code
    for code in REASONS
    if code not in ("card_terminated", "card_replaced", "card_rejected", "card_not_issued")
]
STATE_OF = {"card_lost": "lost", "card_stolen": "stolen", "card_blocked": "blocked"}


@pytest.mark.parametrize("code", REASONS_ON_LIVE_CARDS)
def test_every_reason_is_shown_with_what_to_do_where_and_since_when(company_client, code):
    client, company = company_client
    since = timezone.make_aware(dt.datetime(2026, 3, 4, 12, 0))
    employee(
        company,
        "Ivar",
        state=STATE_OF.get(code, CardState.ISSUED),
        valid=False,
        reasons=[code],
        validity_changed_at=since,
    )

    row = row_of(client.get(url(company)).content.decode(), "Ivar")

    assert str(reason_title(code)).replace("'", "&#x27;") in row
    assert str(reason_text(code)).replace("'", "&#x27;") in row
    assert "Not valid since 4 Mar 2026." in row
    if code in WHERE:
        assert f'href="{WHERE[code].url}"' in row
        assert str(WHERE[code].name).replace("'", "&#x27;") in row
    assert ' title="' not in row


def test_the_overview_in_norwegian_uses_its_words_and_date_format(company_client):
    client, company = company_client
    since = timezone.make_aware(dt.datetime(2026, 3, 4, 12, 0))
    employee(company, "Ivar", valid=False, reasons=["employment_ended"], validity_changed_at=since)
    page = client.get(url(company, "nb")).content.decode()
    assert "Ikke gyldig siden 04.03.2026." in row_of(page, "Ivar")
    assert "Aa-registeret" in row_of(page, "Ivar")


def test_replaced_and_terminated_cards_count_nowhere_and_a_newer_valid_card_counts(
    company_client,
):
    client, company = company_client
    person = employee(
        company, "Rita", state=CardState.REPLACED, valid=False, reasons=["card_replaced"]
    )
    CardFactory(holder=person, company=company)
    employee(company, "Tore", state=CardState.TERMINATED, valid=False, reasons=["card_terminated"])

    page = client.get(url(company)).content.decode()

    assert "Valid" in row_of(page, "Rita")
    assert "No card" in row_of(page, "Tore")
    assert validity_counts(company) == {"n_valid": 1, "n_not_valid": 0}


def test_a_card_holder_without_an_employment_in_force_is_listed_and_said_so(company_client):
    client, company = company_client
    person = PersonFactory(given_name="Kari", family_name="Hansen")
    EmploymentFactory(
        person=person, employer=company, ends_on=timezone.localdate() - dt.timedelta(days=3)
    )
    CardFactory(holder=person, company=company, valid=False, reasons=["employment_ended"])

    row = row_of(client.get(url(company)).content.decode(), "Kari")

    assert "No employment in force" in row
    assert "Not valid" in row


def test_filters_by_status_unit_card_type_and_name_and_sorts(company_client):
    client, company = company_client
    bergen = SubUnitFactory(parent=company, name="Avdeling Bergen")
    today = timezone.localdate()
    employee(company, "Anne", expires_on=today + dt.timedelta(days=10))
    employee(bergen, "Berit", valid=False, reasons=["employment_not_reported"])
    employee(
        company,
        "Cato",
        card_type=CardType.objects.get(code="cleaning"),
        expires_on=today + dt.timedelta(days=300),
    )

    def names(**params):
        page = client.get(url(company), params).content.decode()
        return [n for n in ("Anne", "Berit", "Cato") if f"{n} Hansen" in page]

    assert names() == ["Anne", "Berit", "Cato"]
    assert names(status="not_valid") == ["Berit"]
    assert names(status="expiring") == ["Anne"]
    assert names(unit=bergen.orgnr) == ["Berit"]
    assert names(card_type="cleaning") == ["Cato"]
    assert names(q="ber") == ["Berit"]
    status_sorted = client.get(url(company), {"sort": "status"}).content.decode()
    assert status_sorted.index("Berit") < status_sorted.index("Anne") < status_sorted.index("Cato")
    assert "Avdeling Bergen" in row_of(client.get(url(company)).content.decode(), "Berit")


def test_the_export_is_a_csv_of_the_filtered_employees_without_national_ids(company_client):
    client, company = company_client
    person = employee(company, "Ivar", valid=False, reasons=["not_in_vat_register"])
    employee(company, "Vera")

    response = client.get(
        f"/en/companies/{company.orgnr}/employees/export/", {"status": "not_valid"}
    )

    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["Name", "Date of birth", "Units", "Status"]
    assert len(rows) == 2
    assert rows[1][0] == "Ivar Hansen"
    assert rows[1][3] == "Not valid"
    assert str(reason_title("not_in_vat_register")) in rows[1][7]
    assert person.national_id not in text


def test_no_employee_of_another_company_is_shown_and_others_get_404(company_client, log_in_as):
    client, company = company_client
    other = RoleFactory().company
    employee(other, "Fremmed")
    employee(company, "Egen")

    page = client.get(url(company)).content.decode()
    assert "Egen Hansen" in page
    assert "Fremmed" not in page
    assert client.get(url(other)).status_code == 404
    assert client.get(f"/en/companies/{other.orgnr}/employees/export/").status_code == 404
    stranger = log_in_as(PersonFactory())
    assert stranger.get(url(company)).status_code == 404


def test_the_page_costs_the_same_number_of_queries_for_two_employees_as_for_forty(
    company_client,
):
    client, company = company_client

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(company)).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        employee(company, f"A{i}", valid=False, reasons=["employment_not_reported"])
    few = queries()
    for i in range(38):
        employee(company, f"B{i}", valid=bool(i % 2), reasons=[] if i % 2 else ["card_expired"])
    assert queries() == few


def test_the_company_page_leads_with_what_to_act_on(company_client):
    client, company = company_client
    employee(company, "Ivar", valid=False, reasons=["not_in_vat_register"])
    employee(company, "Nils")

    page = client.get(f"/en/companies/{company.orgnr}/").content.decode()

    act = page[page.index("To act on") : page.index("cards-heading")]
    assert "Not valid: <strong>1</strong>" in act
    assert "No card: <strong>1</strong>" in act
    assert f"/en/companies/{company.orgnr}/employees/?status=not_valid" in act
    assert page.index("To act on") < page.index("History")


def test_the_page_costs_the_same_number_of_queries_for_ten_as_for_sixty_on_either_page(
    company_client,
):
    client, company = company_client
    today = timezone.localdate()

    def queries(**params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(company), params).status_code == 200
        return len(ctx.captured_queries)

    def add(prefix, n):
        for i in range(n):
            kind = i % 4
            if kind == 0:
                employee(company, f"{prefix}{i}", valid=False, reasons=["card_expired"])
            elif kind == 1:
                employee(company, f"{prefix}{i}", expires_on=today + dt.timedelta(days=20))
            elif kind == 2:
                employee(company, f"{prefix}{i}")
            else:
                employee(company, f"{prefix}{i}", state=CardState.ORDERED, valid=False)

    add("A", 10)
    small = [queries(page=1), queries(sort="status"), queries(sort="expires", status="valid")]
    add("B", 50)
    large = [queries(page=1), queries(page=2), queries(sort="status", page=2)]
    large.append(queries(sort="expires", status="valid", page=2))
    assert large == [small[0], small[0], small[1], small[2]]


def test_the_card_the_status_speaks_of_is_the_valid_one_that_lasts_longest(company_client):
    client, company = company_client
    today = timezone.localdate()
    # Valid soon-expiring card, a newer valid card without expiry date: valid, not expiring.
    kari = employee(company, "Kari", expires_on=today + dt.timedelta(days=10))
    CardFactory(holder=kari, company=company, expires_on=None)
    # A valid card expiring soon and a newer card being ordered: the valid card speaks.
    ola = employee(company, "Ola", expires_on=today + dt.timedelta(days=10))
    CardFactory(holder=ola, company=company, state=CardState.ORDERED, valid=False)
    # A not-valid card and a newer ordered card: ordered.
    per = employee(company, "Per", valid=False, reasons=["card_expired"])
    CardFactory(holder=per, company=company, state=CardState.AWAITING_DOCUMENTS, valid=False)
    # Two not-valid cards: the newest one's reasons are shown.
    siv = employee(company, "Siv", valid=False, reasons=["card_expired"])
    CardFactory(holder=siv, company=company, valid=False, reasons=["not_in_vat_register"])

    page = client.get(url(company)).content.decode()

    assert "Valid, expires within 60 days" not in row_of(page, "Kari")
    assert "Valid, expires within 60 days" in row_of(page, "Ola")
    assert "Ordered or in production" in row_of(page, "Per")
    siv_row = row_of(page, "Siv")
    assert str(reason_title("not_in_vat_register")) in siv_row
    assert str(reason_title("card_expired")) not in siv_row


def test_sorting_by_expiry_puts_the_soonest_first_and_the_rest_follow_on_the_next_page(
    company_client,
):
    client, company = company_client
    today = timezone.localdate()
    for i in range(26):
        employee(company, f"E{i:02d}", expires_on=today + dt.timedelta(days=100 + i))
    employee(company, "Zoe", expires_on=today + dt.timedelta(days=5))
    employee(company, "Aksel")  # no card: last

    first = client.get(url(company), {"sort": "expires"}).content.decode()
    second = client.get(url(company), {"sort": "expires", "page": 2}).content.decode()

    assert first.index("Zoe Hansen") < first.index("E00 Hansen")
    assert "E24 Hansen" not in first
    assert second.index("E24 Hansen") < second.index("E25 Hansen") < second.index("Aksel Hansen")
    assert "28 employees shown" in first


def test_the_excel_export_has_the_csv_columns_real_dates_and_no_national_ids(company_client):
    client, company = company_client
    since = timezone.make_aware(dt.datetime(2026, 3, 4, 12, 0))
    person = employee(
        company,
        "Ivar",
        valid=False,
        reasons=["not_in_vat_register"],
        expires_on=dt.date(2028, 10, 31),
        validity_changed_at=since,
    )
    person.birth_date = dt.date(1990, 5, 17)
    person.save()
    employee(company, "Vera")

    response = client.get(
        f"/en/companies/{company.orgnr}/employees/export/xlsx/", {"status": "not_valid"}
    )

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    csv_text = client.get(
        f"/en/companies/{company.orgnr}/employees/export/", {"status": "not_valid"}
    ).content.decode("utf-8-sig")
    assert list(rows[0]) == next(csv.reader(io.StringIO(csv_text), delimiter=";"))
    assert len(rows) == 2
    name, born, _units, status, _number, _type, expires, reasons, since_cell = rows[1]
    assert (name, status) == ("Ivar Hansen", "Not valid")
    assert born == dt.datetime(1990, 5, 17)  # a date cell (read back as midnight)
    assert expires == dt.datetime(2028, 10, 31)
    assert since_cell == dt.datetime(2026, 3, 4)
    assert str(reason_title("not_in_vat_register")) in reasons
    assert sheet["G2"].is_date
    for row in rows:
        assert person.national_id not in " ".join(str(v) for v in row if v is not None)


def test_the_excel_export_in_norwegian_has_norwegian_headings(company_client):
    client, company = company_client
    employee(company, "Ivar", valid=False, reasons=["not_in_vat_register"])

    response = client.get(f"/virksomheter/{company.orgnr}/ansatte/eksport/xlsx/")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Ansatte"
    assert sheet["A1"].value == "Navn"
    assert sheet["D2"].value == "Ikke gyldig"
