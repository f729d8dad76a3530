"""Back office: the news on the front page (support and administrators), through hmskort.site's
services (validated, audited)."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from hmskort.accounts.staff import StaffRole, staff_actor
from hmskort.site import selectors, services
from hmskort.site.models import NewsItem

from .access import staff_view

R = StaffRole
DATE_INPUT = forms.DateInput(attrs={"class": "ds-input", "type": "date"}, format="%Y-%m-%d")


class NewsForm(forms.Form):
    title_nb = forms.CharField(
        label=gettext_lazy("Title in bokmål"),
        required=False,
        widget=forms.TextInput(attrs={"class": "ds-input", "lang": "nb"}),
    )
    body_nb = forms.CharField(
        label=gettext_lazy("Text in bokmål"),
        required=False,
        widget=forms.Textarea(attrs={"class": "ds-input", "rows": 5, "lang": "nb"}),
    )
    title_en = forms.CharField(
        label=gettext_lazy("Title in English"),
        required=False,
        widget=forms.TextInput(attrs={"class": "ds-input", "lang": "en"}),
    )
    body_en = forms.CharField(
        label=gettext_lazy("Text in English"),
        required=False,
        widget=forms.Textarea(attrs={"class": "ds-input", "rows": 5, "lang": "en"}),
    )
    published_on = forms.DateField(
        label=gettext_lazy("Publication date"),
        help_text=gettext_lazy("Shown on the front page from this day (when published)."),
        widget=DATE_INPUT,
        error_messages={"required": gettext_lazy("Give the publication date.")},
    )
    unpublish_on = forms.DateField(
        label=gettext_lazy("Taken down on (optional)"),
        help_text=gettext_lazy("Not shown from this day on. Empty: shown until unpublished."),
        required=False,
        widget=DATE_INPUT,
    )
    form_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def text(self) -> services.NewsText:
        data = self.cleaned_data
        return services.NewsText(
            title_nb=data["title_nb"],
            title_en=data["title_en"],
            body_nb=data["body_nb"],
            body_en=data["body_en"],
            published_on=data["published_on"],
            unpublish_on=data["unpublish_on"],
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)

    def mark_invalid_fields(self) -> None:
        """aria-invalid and aria-describedby (the field's message and the summary) on every
        field with an error."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                help_id = f"id_{name}-help" if self.fields[name].help_text else ""
                attrs["aria-describedby"] = f"error-summary {help_id}".strip()


def _status(item: NewsItem, today: dt.date) -> str:
    if not item.is_published:
        return _("Draft (not published)")
    if item.unpublish_on is not None and item.unpublish_on <= today:
        return _("Taken down")
    if item.published_on > today:
        return _("Scheduled")
    return _("Published")


@require_http_methods(["GET"])
@staff_view(R.SUPPORT)
def news_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [{"item": item, "status": _status(item, today)} for item in selectors.all_news()[:200]]
    return render(request, "backoffice/news_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@staff_view(R.SUPPORT)
def news_new(request: HttpRequest) -> HttpResponse:
    initial = {"published_on": timezone.localdate(), "form_key": uuid.uuid4().hex}
    form = NewsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            publish = request.POST.get("publish") == "yes"
            try:
                item = services.news_create(
                    text=form.text(),
                    publish=publish,
                    actor=staff_actor(request.user),
                    form_key=form.cleaned_data["form_key"] or None,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("The news item is published.")
                    if item.is_published
                    else _("The news item is saved as a draft."),
                )
                return redirect("backoffice:news_item", pk=item.pk)
        form.mark_invalid_fields()
    return render(
        request,
        "backoffice/news_form.html",
        {"form": form, "item": None},
        status=400 if form.errors else 200,
    )


def _item_or_404(pk: int) -> NewsItem:
    item = selectors.all_news().filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


@require_http_methods(["GET", "POST"])
@staff_view(R.SUPPORT)
def news_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(pk)
    initial = {
        "title_nb": item.title_nb,
        "title_en": item.title_en,
        "body_nb": item.body_nb,
        "body_en": item.body_en,
        "published_on": item.published_on,
        "unpublish_on": item.unpublish_on,
    }
    form = NewsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.news_update(
                    item_id=item.pk, text=form.text(), actor=staff_actor(request.user)
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The news item is saved."))
                return redirect("backoffice:news_item", pk=item.pk)
        form.mark_invalid_fields()
    today = timezone.localdate()
    return render(
        request,
        "backoffice/news_form.html",
        {
            "form": form,
            "item": item,
            "status": _status(item, today),
            "publish_from": max(item.published_on, today),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@staff_view(R.SUPPORT)
def news_publishing(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish (from a date) or unpublish a news item."""
    item = _item_or_404(pk)
    publish = request.POST.get("action") == "publish"
    published_on: dt.date | None = None
    if publish:
        field = forms.DateField(required=False)
        try:
            published_on = field.clean(request.POST.get("published_on", ""))
        except ValidationError:
            messages.error(request, _("Give the publication date as a date."))
            return redirect("backoffice:news_item", pk=item.pk)
    try:
        item = services.news_set_published(
            item_id=item.pk,
            published=publish,
            published_on=published_on,
            actor=staff_actor(request.user),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if item.is_published:
            messages.success(request, _("The news item is published."))
        else:
            messages.success(request, _("The news item is unpublished: it no longer shows."))
    return redirect("backoffice:news_item", pk=item.pk)
