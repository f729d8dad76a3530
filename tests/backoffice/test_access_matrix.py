"""Every back-office page and action, tried by each staff role, by nobody logged in and by a
person logged in for a company: each reaches exactly what its role allows."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from hmskort.backoffice import urls as backoffice_urls
from tests.factories import CardFactory, InvoiceFactory, PersonFactory
from tests.url_matrix import assert_every_page_listed

pytestmark = pytest.mark.django_db

ROLES = ("verifier", "production", "support", "administrator")
EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"administrator"})
SUPPORT = frozenset({"support", "administrator"})
VERIFIER = frozenset({"verifier", "administrator"})
PRODUCTION = frozenset({"production", "administrator"})
INVOICE_READERS = frozenset({"support", "administrator"})

# url name -> (method, the roles allowed, the status an allowed request gets).
# Administrators may use everything.
MATRIX: dict[str, tuple[str, frozenset[str], int]] = {
    "home": ("get", EVERYONE, 200),
    "support": ("get", SUPPORT, 200),
    "card": ("get", EVERYONE, 200),
    # Unblocking a card that is not blocked: refused with a message, nothing changes.
    "card_action": ("post", SUPPORT, 302),
    "company": ("get", SUPPORT, 200),
    "verification": ("get", VERIFIER, 200),
    # A line that waits for nothing: the page says so and goes back to the queue.
    "verification_line": ("get", VERIFIER, 302),
    "verification_image": ("get", VERIFIER, 404),
    "production": ("get", PRODUCTION, 200),
    "batch": ("get", PRODUCTION, 200),
    "batch_step": ("post", PRODUCTION, 302),
    "batch_file": ("get", PRODUCTION, 200),
    "batch_preview": ("get", PRODUCTION, 404),
    "packing_list": ("get", PRODUCTION, 404),
    "invoices": ("get", INVOICE_READERS, 200),
    # Nothing shipped waits for an invoice: the page says so, nothing is made.
    "invoices_make": ("post", ADMIN, 302),
    "invoices_csv": ("get", INVOICE_READERS, 200),
    "invoice": ("get", INVOICE_READERS, 200),
    # No card chosen: the form says so, nothing is credited.
    "invoice_credit": ("post", ADMIN, 400),
    "invoice_xml": ("get", INVOICE_READERS, 200),
    "credit_note_xml": ("get", INVOICE_READERS, 404),
    "news": ("get", SUPPORT, 200),
    "news_new": ("get", SUPPORT, 200),
    "news_item": ("get", SUPPORT, 200),
    # Unpublishing an item (a draft already: nothing changes).
    "news_publishing": ("post", SUPPORT, 302),
    "prices": ("get", ADMIN, 200),
    "maintenance": ("get", ADMIN, 200),
    "maintenance_cancel": ("post", ADMIN, 302),
}


@pytest.fixture(autouse=True)
def world():
    from hmskort.orders.fulfilment_models import ProductionBatch
    from hmskort.site.models import NewsItem

    card = CardFactory()
    batch = ProductionBatch.objects.create(issue_date=card.issued_on, created_by="test")
    news = NewsItem.objects.create(
        title_nb="Utkast", title_en="Draft", body_nb="Tekst", body_en="Text", is_published=False
    )
    return {
        "card": card,
        "company": card.company,
        "batch": batch,
        "news": news,
        "invoice": InvoiceFactory(order__company=card.company, order__ordered_by=card.holder),
    }


ARGS = {
    "card": lambda w: {"pk": w["card"].pk},
    "card_action": lambda w: {"pk": w["card"].pk, "action": "unblock"},
    "company": lambda w: {"orgnr": w["company"].orgnr},
    "verification_line": lambda w: {"pk": 999999},
    "verification_image": lambda w: {"pk": 999999, "which": "photo"},
    "batch": lambda w: {"pk": w["batch"].pk},
    # Shipping a batch that is not produced: refused with a message, nothing changes.
    "batch_step": lambda w: {"pk": w["batch"].pk, "step": "shipped"},
    "batch_file": lambda w: {"pk": w["batch"].pk, "kind": "csv"},
    "batch_preview": lambda w: {"pk": w["batch"].pk, "line_pk": 999999},
    "packing_list": lambda w: {"pk": 999999},
    "invoice": lambda w: {"number": w["invoice"].number},
    "invoice_credit": lambda w: {"number": w["invoice"].number},
    "invoice_xml": lambda w: {"number": w["invoice"].number},
    "credit_note_xml": lambda w: {"number": 999999},
    "news_item": lambda w: {"pk": w["news"].pk},
    "news_publishing": lambda w: {"pk": w["news"].pk},
    # An object that need not exist: the gate comes first.
    "maintenance_cancel": lambda w: {"pk": 0},
}


def url_for(name: str, world=None) -> str:
    from django.urls import reverse

    kwargs = ARGS[name](world) if name in ARGS else {}
    return reverse(f"backoffice:{name}", kwargs=kwargs)


def request(client, name: str, world):
    method = MATRIX[name][0]
    url = url_for(name, world)
    return client.get(url) if method == "get" else client.post(url, {})


def test_the_matrix_covers_every_back_office_page():
    assert_every_page_listed(backoffice_urls, MATRIX)


def test_every_back_office_view_passes_the_staff_gate():
    for pattern in backoffice_urls.urlpatterns:
        assert hasattr(pattern.callback, "staff_roles"), pattern.name


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_pages_of_its_role(staff_client, role, world):
    client = staff_client(role)

    statuses = {name: request(client, name, world).status_code for name in MATRIX}

    expected = {
        name: (ok if role in allowed else 403) for name, (_m, allowed, ok) in MATRIX.items()
    }
    assert statuses == expected
    world["card"].refresh_from_db()
    assert world["card"].state == "issued"


@pytest.mark.parametrize("role", ROLES)
def test_only_administrators_reach_django_admin(staff_client, role):
    client = staff_client(role)

    status = client.get("/admin/").status_code

    assert status == (200 if role == "administrator" else 302)


def test_nobody_logged_in_is_sent_to_the_staff_login_from_every_page(client, world):
    for name in MATRIX:
        response = request(client, name, world)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/kontor/logg-inn/?next="), name


def test_a_person_logged_in_for_a_company_is_no_staff_user(client, world):
    session = client.session
    session["person_id"] = PersonFactory().pk
    session["login_method"] = "test"
    session.save()

    for name in MATRIX:
        response = request(client, name, world)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/kontor/logg-inn/"), name
    assert client.get("/admin/").status_code == 302


def test_a_staff_user_logged_in_without_a_code_is_sent_back_to_the_login(client, make_staff, world):
    client.force_login(make_staff("administrator"))

    for name in MATRIX:
        assert request(client, name, world).status_code == 302, name


def test_the_back_office_urls_have_english_forms_under_en(staff_client):
    client = staff_client("support")

    assert client.get("/en/office/").status_code == 200
    assert get_resolver().resolve("/en/office/").url_name == "home"
