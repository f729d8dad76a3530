"""News on the front page, written, edited, published and unpublished in the back office."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.site.models import NewsItem

pytestmark = pytest.mark.django_db


def news_form(**overrides):
    today = timezone.localdate()
    data = {
        "title_nb": "Nye priser fra mars",
        "body_nb": "Prisen per kort blir 129,50 kr.",
        "title_en": "New prices from March",
        "body_en": "The price per card becomes NOK 129.50.",
        "published_on": today.isoformat(),
        "unpublish_on": "",
        "form_key": "k-1",
        "publish": "yes",
    }
    data.update(overrides)
    return data


@pytest.fixture
def support(staff_client):
    return staff_client("support", "siv")


def test_support_publishes_a_news_item_and_the_front_page_shows_it_in_both_languages(
    support, client
):
    response = support.post("/kontor/nyheter/ny/", news_form())

    item = NewsItem.objects.get(title_nb="Nye priser fra mars")
    assert response.status_code == 302
    assert response["Location"] == f"/kontor/nyheter/{item.pk}/"
    assert item.is_published
    event = AuditEvent.objects.get(action="news.created")
    assert event.actor_kind == "staff" and "siv" in (event.actor_ref, event.actor_label)
    front = client.get("/").content.decode()
    assert "Nye priser fra mars" in front and "Prisen per kort blir 129,50 kr." in front
    assert "New prices from March" in client.get("/en/").content.decode()


def test_a_draft_is_listed_in_the_back_office_but_not_on_the_front_page(support, client):
    support.post("/kontor/nyheter/ny/", news_form(publish="no"))

    listing = support.get("/kontor/nyheter/").content.decode()

    assert "Nye priser fra mars" in listing and "Utkast" in listing
    assert "Nye priser fra mars" not in client.get("/").content.decode()


def test_an_item_dated_tomorrow_waits_until_its_publication_date(support, client):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    support.post("/kontor/nyheter/ny/", news_form(published_on=tomorrow.isoformat()))

    assert "Planlagt" in support.get("/kontor/nyheter/").content.decode()
    assert "Nye priser fra mars" not in client.get("/").content.decode()


def test_sending_the_new_item_form_twice_writes_one_item(support):
    first = support.post("/kontor/nyheter/ny/", news_form())
    second = support.post("/kontor/nyheter/ny/", news_form())

    assert NewsItem.objects.filter(title_nb="Nye priser fra mars").count() == 1
    assert first["Location"] == second["Location"]
    assert AuditEvent.objects.filter(action="news.created").count() == 1


def test_missing_texts_are_listed_in_a_summary_that_takes_focus_and_nothing_is_saved(support):
    before = NewsItem.objects.count()

    response = support.post(
        "/kontor/nyheter/ny/", news_form(title_en="  ", body_nb="", unpublish_on="2000-01-01")
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert NewsItem.objects.count() == before
    assert 'id="error-summary"' in page and "autofocus" in page
    assert "Skriv tittelen på engelsk." in page
    assert "Skriv teksten på bokmål." in page
    assert "Nyheten må tas ned etter at den er publisert." in page
    assert page.count('aria-invalid="true"') == 3


def test_a_missing_publication_date_is_refused_with_a_message(support):
    response = support.post("/kontor/nyheter/ny/", news_form(published_on=""))

    assert response.status_code == 400
    assert "Oppgi publiseringsdatoen." in response.content.decode()


def test_editing_changes_the_text_and_is_audited(support, client):
    support.post("/kontor/nyheter/ny/", news_form())
    item = NewsItem.objects.get(title_nb="Nye priser fra mars")

    response = support.post(
        f"/kontor/nyheter/{item.pk}/",
        news_form(title_nb="Nye priser fra april", form_key=""),
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title_nb == "Nye priser fra april"
    event = AuditEvent.objects.get(action="news.changed")
    assert event.data["fields"] == ["title_nb"]
    assert "Nye priser fra april" in client.get("/").content.decode()


def test_saving_an_unchanged_item_records_nothing(support):
    support.post("/kontor/nyheter/ny/", news_form())
    item = NewsItem.objects.get(title_nb="Nye priser fra mars")

    support.post(f"/kontor/nyheter/{item.pk}/", news_form(form_key=""))

    assert not AuditEvent.objects.filter(action="news.changed").exists()


def test_unpublishing_takes_the_item_off_the_front_page_and_publishing_brings_it_back(
    support, client
):
    support.post("/kontor/nyheter/ny/", news_form())
    item = NewsItem.objects.get(title_nb="Nye priser fra mars")

    response = support.post(f"/kontor/nyheter/{item.pk}/publisering/", {"action": "unpublish"})

    assert response.status_code == 302
    assert "Nye priser fra mars" not in client.get("/").content.decode()
    today = timezone.localdate()
    support.post(
        f"/kontor/nyheter/{item.pk}/publisering/",
        {"action": "publish", "published_on": today.isoformat()},
    )
    assert "Nye priser fra mars" in client.get("/").content.decode()
    actions = list(
        AuditEvent.objects.filter(action__startswith="news.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["news.created", "news.unpublished", "news.published"]


def test_publishing_from_a_later_date_schedules_the_item(support, client):
    support.post("/kontor/nyheter/ny/", news_form(publish="no"))
    item = NewsItem.objects.get(title_nb="Nye priser fra mars")
    later = timezone.localdate() + dt.timedelta(days=10)

    support.post(
        f"/kontor/nyheter/{item.pk}/publisering/",
        {"action": "publish", "published_on": later.isoformat()},
    )

    item.refresh_from_db()
    assert item.is_published and item.published_on == later
    assert "Nye priser fra mars" not in client.get("/").content.decode()


def test_publishing_with_a_date_that_is_no_date_says_so_and_changes_nothing(support):
    support.post("/kontor/nyheter/ny/", news_form(publish="no"))
    item = NewsItem.objects.get(title_nb="Nye priser fra mars")

    response = support.post(
        f"/kontor/nyheter/{item.pk}/publisering/",
        {"action": "publish", "published_on": "31.02.2027"},
        follow=True,
    )

    item.refresh_from_db()
    assert not item.is_published
    assert "Oppgi publiseringsdatoen som en dato." in response.content.decode()


def test_the_pages_speak_english_under_en(staff_client):
    client = staff_client("support", "sam")

    page = client.get("/en/office/news/new/").content.decode()

    assert "Write a news item" in page and "Title in bokmål" in page


def test_a_verifier_may_not_write_news(staff_client):
    verifier = staff_client("verifier", "vera")

    response = verifier.post("/kontor/nyheter/ny/", news_form())

    assert response.status_code == 403
    assert not NewsItem.objects.filter(title_nb="Nye priser fra mars").exists()
