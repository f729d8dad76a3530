"""E-mail alert settings for a company, and the unsubscribe link in the alert e-mails.

Thin views: the form reads the input, `hmskort.alerts.services` decides and records. The
unsubscribe page needs no login: the signed token in the link names the person, the company and
the kind of alert, and one click on its button turns that alert off (mail programs may also
POST to the link, RFC 8058, so it takes no CSRF token; the signature is the check).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hmskort.alerts import selectors as alert_reads
from hmskort.alerts import services as alerts
from hmskort.alerts.models import Kind
from hmskort.companies.models import Company

from .access import PersonRequest, company_view
from .contact import known_for_alerts
from .forms import AlertSettingsForm
from .ordering import _apply_errors


@never_cache
@require_http_methods(["GET", "POST"])
@company_view
def alert_settings(request: PersonRequest, company: Company, access) -> HttpResponse:
    main = company.main_unit
    if company.pk != main.pk:
        return redirect("portal:alert_settings", orgnr=main.orgnr)
    choice = alert_reads.choice_for(request.person, main)
    known = known_for_alerts(request.person)
    initial = {
        "invalid_digest": choice.invalid_digest,
        "expiry": choice.expiry,
        "email": known.email if known else "",
        "language": known.language if known else (translation.get_language() or "nb")[:2],
    }
    form = AlertSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            alerts.alert_settings_save(person=request.person, company=main, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Your e-mail alerts are saved."))
            return redirect("portal:alert_settings", orgnr=main.orgnr)
    form.mark_invalid_fields()
    return render(
        request,
        "portal/alert_settings.html",
        {
            "company": main,
            "form": form,
            "has_contact": alert_reads.contact_for(request.person) is not None,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def alerts_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = alerts.read_unsubscribe_token(token)
    except alerts.BadToken:
        raise Http404 from None
    done = False
    if request.method == "POST":
        alerts.unsubscribe(token=token)
        done = True
    kind = str(Kind(target.kind).label)
    return render(
        request,
        "portal/alerts_unsubscribe.html",
        {"company": target.company, "kind": target.kind, "kind_label": kind, "done": done},
    )
