import datetime as dt
from decimal import Decimal

import pytest

from hmskort.cards.models import CardType
from hmskort.orders.models import Price
from hmskort.site.models import NewsItem

pytestmark = pytest.mark.django_db


def test_front_page_is_norwegian_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="nb"' in body
    assert "HMS-kort for bygg og anlegg" in body
    assert "104 kroner per kort, eksklusiv mva." in body
    assert "Nytt for året" in body
    assert 'href="/sjekk/"' in body


def test_front_page_is_english_under_en(client):
    response = client.get("/en/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en"' in body
    assert "HSE card for building and construction" in body
    assert "104 NOK per card, VAT not included" in body
    assert "New for the year" in body
    assert 'href="/en/check/"' in body


def test_front_page_price_follows_the_price_table_not_a_constant(client):
    construction = CardType.objects.get(code="construction")
    Price.objects.create(
        card_type=construction,
        amount_ex_vat=Decimal("129.50"),
        vat_rate=Decimal("0.25"),
        valid_from=dt.date(2026, 1, 1),
    )
    body = client.get("/en/").content.decode()
    assert "129.50 NOK per card, VAT not included" in body


def test_a_future_price_is_not_shown_before_it_takes_effect(client):
    construction = CardType.objects.get(code="construction")
    Price.objects.create(
        card_type=construction, amount_ex_vat=Decimal("999.00"), valid_from=dt.date(2099, 1, 1)
    )
    body = client.get("/en/").content.decode()
    assert "999" not in body


def test_front_page_shows_published_news_and_hides_unpublished(client):
    NewsItem.objects.create(
        title_nb="Vedlikehold i helgen",
        title_en="Maintenance this weekend",
        body_nb="Kortsjekken virker som vanlig.",
        body_en="The card check works as usual.",
        published_on=dt.date(2026, 11, 1),
    )
    NewsItem.objects.create(
        title_nb="Utkast", title_en="Draft", body_nb="x", body_en="x", is_published=False
    )
    nb = client.get("/").content.decode()
    en = client.get("/en/").content.decode()
    assert "Vedlikehold i helgen" in nb and "Kortsjekken virker som vanlig." in nb
    assert "Maintenance this weekend" in en
    assert "Draft" not in en and "Utkast" not in nb


def test_language_switch_goes_to_the_same_page_in_the_other_language(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/sjekk/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/check/"


def test_healthz_answers_json_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "maintenance": False}


def test_static_design_system_css_is_served(client, settings):
    body = client.get("/").content.decode()
    assert "vendor/designsystemet/index.css" in body
    assert "vendor/arbeidstilsynet/arbeidstilsynet.css" in body


def test_every_stylesheet_the_base_template_links_is_found():
    from django.contrib.staticfiles import finders

    for path in [
        "hmskort/site.css",
        "vendor/designsystemet/index.css",
        "vendor/arbeidstilsynet/arbeidstilsynet.css",
        "vendor/inter/latin-400.css",
        "vendor/inter/files/inter-latin-400-normal.woff2",
        "vendor/htmx/htmx.min.js",
    ]:
        assert finders.find(path), path


def test_production_static_files_collect_with_hashed_names(tmp_path, settings):
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", "-v", "0")
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "hmskort/site.css" in manifest
    assert "vendor/designsystemet/index.css" in manifest
