"""Changes to maintenance windows and to the news on the front page. Each is atomic and writes its
audit event in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record

from . import selectors
from .models import MaintenanceWindow, NewsItem

# Any constant: serialises scheduling on PostgreSQL so two staff cannot add overlapping windows.
_SCHEDULE_LOCK = 7_130_013


class MaintenanceWindowError(ValidationError):
    """A window that cannot be scheduled (the message says why, in the active language)."""


def _lock_schedule() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEDULE_LOCK])
    # SQLite: transactions are IMMEDIATE (settings), so writers already queue one at a time.


def overlapping_windows(*, starts_at: dt.datetime, ends_at: dt.datetime, exclude_pk=None):
    windows = MaintenanceWindow.objects.filter(
        cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if exclude_pk is not None:
        windows = windows.exclude(pk=exclude_pk)
    return windows


def validate_window(
    *, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime | None = None, exclude_pk=None
) -> None:
    """Raise MaintenanceWindowError when the window ends before it starts, is already over, or
    overlaps a scheduled window."""
    now = now or timezone.now()
    if ends_at <= starts_at:
        raise MaintenanceWindowError(
            _("The window must end after it starts."), code="ends_before_start"
        )
    if ends_at <= now:
        raise MaintenanceWindowError(_("The window is already over."), code="in_the_past")
    clash = overlapping_windows(starts_at=starts_at, ends_at=ends_at, exclude_pk=exclude_pk).first()
    if clash is not None:
        raise MaintenanceWindowError(
            _("The window overlaps window %(id)s (%(period)s). Windows may not overlap.")
            % {"id": clash.pk, "period": selectors.window_period(clash)},
            code="overlap",
        )


@transaction.atomic
def schedule_window(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    message_nb: str,
    message_en: str,
    actor: Actor,
) -> MaintenanceWindow:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("starts_at and ends_at must be aware datetimes")
    _lock_schedule()
    validate_window(starts_at=starts_at, ends_at=ends_at)
    window = MaintenanceWindow.objects.create(
        starts_at=starts_at,
        ends_at=ends_at,
        message_nb=message_nb.strip(),
        message_en=message_en.strip(),
        created_by=actor.label or actor.ref,
    )
    record(
        actor=actor,
        action="maintenance.scheduled",
        target=window,
        data={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )
    return window


@transaction.atomic
def update_window(
    *,
    window: MaintenanceWindow,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    message_nb: str,
    message_en: str,
    actor: Actor,
) -> MaintenanceWindow:
    _lock_schedule()
    if window.cancelled_at is not None:
        raise MaintenanceWindowError(_("A cancelled window cannot be changed."), code="cancelled")
    validate_window(starts_at=starts_at, ends_at=ends_at, exclude_pk=window.pk)
    window.starts_at, window.ends_at = starts_at, ends_at
    window.message_nb, window.message_en = message_nb.strip(), message_en.strip()
    window.save(update_fields=["starts_at", "ends_at", "message_nb", "message_en"])
    record(
        actor=actor,
        action="maintenance.changed",
        target=window,
        data={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )
    return window


@transaction.atomic
def cancel_window(*, window_id: int, actor: Actor) -> MaintenanceWindow:
    """Cancel a window (it stays on record). Cancelling a window in progress ends it now."""
    try:
        window = MaintenanceWindow.objects.select_for_update().get(pk=window_id)
    except MaintenanceWindow.DoesNotExist as exc:
        raise MaintenanceWindowError(
            _("No maintenance window has the ID %(id)s.") % {"id": window_id}, code="not_found"
        ) from exc
    if window.cancelled_at is not None:
        raise MaintenanceWindowError(
            _("Window %(id)s is already cancelled.") % {"id": window_id}, code="cancelled"
        )
    window.cancelled_at = timezone.now()
    window.save(update_fields=["cancelled_at"])
    record(actor=actor, action="maintenance.cancelled", target=window)
    return window


# --- News on the front page ----------------------------------------------------------------------

NEWS_TITLE_MAX = 200
NEWS_BODY_MAX = 5000


@dataclass(frozen=True)
class NewsText:
    """A news item's words in both languages and when it shows."""

    title_nb: str
    title_en: str
    body_nb: str
    body_en: str
    published_on: dt.date
    unpublish_on: dt.date | None = None

    def cleaned(self) -> NewsText:
        """The same text without surrounding blanks (and Windows line ends), or ValidationError
        with a message per field in the active language."""
        text = NewsText(
            title_nb=" ".join(self.title_nb.split()),
            title_en=" ".join(self.title_en.split()),
            body_nb=self.body_nb.replace("\r\n", "\n").strip(),
            body_en=self.body_en.replace("\r\n", "\n").strip(),
            published_on=self.published_on,
            unpublish_on=self.unpublish_on,
        )
        errors: dict[str, str] = {}
        missing = {
            "title_nb": _("Write the title in bokmål."),
            "title_en": _("Write the title in English."),
            "body_nb": _("Write the text in bokmål."),
            "body_en": _("Write the text in English."),
        }
        for field, message in missing.items():
            value = getattr(text, field)
            limit = NEWS_TITLE_MAX if field.startswith("title") else NEWS_BODY_MAX
            if not value:
                errors[field] = message
            elif len(value) > limit:
                errors[field] = _("At most %(n)s characters (now %(length)s).") % {
                    "n": limit,
                    "length": len(value),
                }
        if text.unpublish_on is not None and text.unpublish_on <= text.published_on:
            errors["unpublish_on"] = _("The item must be taken down after it is published.")
        if errors:
            raise ValidationError(errors)
        return text


def _news_data(item: NewsItem) -> dict[str, object]:
    return {
        "title_nb": item.title_nb,
        "published_on": item.published_on.isoformat(),
        "unpublish_on": item.unpublish_on.isoformat() if item.unpublish_on else None,
        "is_published": item.is_published,
    }


@transaction.atomic
def news_create(
    *, text: NewsText, publish: bool, actor: Actor, form_key: str | None = None
) -> NewsItem:
    """Write a news item (published from its date, or a draft). The same `form_key` twice (a
    form sent twice) returns the first item and writes nothing more."""
    if form_key:
        existing = NewsItem.objects.filter(form_key=form_key).first()
        if existing is not None:
            return existing
    text = text.cleaned()
    try:
        with transaction.atomic():
            item = NewsItem.objects.create(
                title_nb=text.title_nb,
                title_en=text.title_en,
                body_nb=text.body_nb,
                body_en=text.body_en,
                published_on=text.published_on,
                unpublish_on=text.unpublish_on,
                is_published=publish,
                form_key=form_key or None,
            )
    except IntegrityError:
        # The same form sent twice at once: the other request wrote it.
        return NewsItem.objects.get(form_key=form_key)
    record(actor=actor, action="news.created", target=item, data=_news_data(item))
    return item


def _locked_news(item_id: int) -> NewsItem:
    try:
        return NewsItem.objects.select_for_update().get(pk=item_id)
    except NewsItem.DoesNotExist as exc:
        raise ValidationError(
            _("No news item has the ID %(id)s.") % {"id": item_id}, code="not_found"
        ) from exc


@transaction.atomic
def news_update(*, item_id: int, text: NewsText, actor: Actor) -> NewsItem:
    """Change a news item's words and dates (whether it is published stays as it is)."""
    text = text.cleaned()
    item = _locked_news(item_id)
    fields = {
        "title_nb": text.title_nb,
        "title_en": text.title_en,
        "body_nb": text.body_nb,
        "body_en": text.body_en,
        "published_on": text.published_on,
        "unpublish_on": text.unpublish_on,
    }
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    if not changed:
        return item
    for name in changed:
        setattr(item, name, fields[name])
    item.save(update_fields=changed)
    record(
        actor=actor,
        action="news.changed",
        target=item,
        data={**_news_data(item), "fields": changed},
    )
    return item


@transaction.atomic
def news_set_published(
    *, item_id: int, published: bool, actor: Actor, published_on: dt.date | None = None
) -> NewsItem:
    """Publish (from `published_on`, default the item's own date) or unpublish a news item.
    Doing what is already done changes nothing and records nothing."""
    item = _locked_news(item_id)
    new_date = published_on or item.published_on
    if published and item.unpublish_on is not None and item.unpublish_on <= new_date:
        raise ValidationError(
            {"published_on": _("The item must be taken down after it is published.")}
        )
    if item.is_published == published and new_date == item.published_on:
        return item
    item.is_published = published
    item.published_on = new_date if published else item.published_on
    item.save(update_fields=["is_published", "published_on"])
    record(
        actor=actor,
        action="news.published" if published else "news.unpublished",
        target=item,
        data=_news_data(item),
    )
    return item
