"""Back-office pages for verification (verifiers) and production and shipping (production)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hmskort.accounts.staff import StaffRole, staff_actor
from hmskort.cards.numbers import format_card_number
from hmskort.cards.rules import reason_text, reason_title
from hmskort.identifiers import format_orgnr, mask_national_id
from hmskort.orders import fulfilment
from hmskort.orders.fulfilment_models import ProductionBatch, Shipment
from hmskort.people.services import private_file

from .access import staff_view

R = StaffRole


class RejectForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Why the photo or photo ID is refused"),
        choices=[],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("What the orderer must fix (sent to them)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "ds-input", "rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        assert isinstance(reason, forms.ChoiceField)
        reason.choices = list(fulfilment.REJECTION_REASONS.items())


def _message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# --- Verification ------------------------------------------------------------------------------


@require_GET
@staff_view(R.VERIFIER)
def verification(request: HttpRequest) -> HttpResponse:
    lines = list(fulfilment.verification_queue()[:100])
    rows = [
        {
            "line": line,
            "number": format_card_number(line.card.number),
            "orgnr": format_orgnr(line.order.company.orgnr),
        }
        for line in lines
    ]
    return render(request, "backoffice/verification.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@staff_view(R.VERIFIER)
def verification_line(request: HttpRequest, pk: int) -> HttpResponse:
    line = fulfilment.line_for_verification(pk)
    if line is None:
        messages.info(request, _("This card no longer waits for verification."))
        return redirect("backoffice:verification")
    form = RejectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        staff = request.user.get_username()
        actor = staff_actor(request.user)
        try:
            if request.POST.get("decision") == "approve":
                fulfilment.verification_approve(line=line, staff=staff, actor=actor)
                messages.success(
                    request,
                    _("Approved: card %(number)s goes to production.")
                    % {"number": format_card_number(line.card.number)},
                )
                return redirect("backoffice:verification")
            if form.is_valid():
                fulfilment.verification_reject(
                    line=line,
                    reason=form.cleaned_data["reason"],
                    text=form.cleaned_data["text"],
                    staff=staff,
                    actor=actor,
                )
                messages.success(
                    request,
                    _("Refused: the orderer is told what to fix for card %(number)s.")
                    % {"number": format_card_number(line.card.number)},
                )
                return redirect("backoffice:verification")
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.error(request, _message(exc))
                return redirect("backoffice:verification")
        status = 400
    card = line.card
    return render(
        request,
        "backoffice/verification_line.html",
        {
            "line": line,
            "card": card,
            "number": format_card_number(card.number),
            "masked": mask_national_id(line.holder.national_id),
            "orgnr": format_orgnr(line.order.company.orgnr),
            "document": line.identity_document,
            "reasons": [{"title": reason_title(r), "text": reason_text(r)} for r in card.reasons],
            "form": form,
        },
        status=status,
    )


@never_cache
@require_GET
@staff_view(R.VERIFIER)
def verification_image(request: HttpRequest, pk: int, which: str) -> FileResponse:
    """A photo or photo ID image of a card waiting for verification, for verifiers only."""
    line = fulfilment.line_for_verification(pk)
    if line is None:
        raise Http404
    if which == "photo":
        name = line.photo.file_name if line.photo else ""
    elif which in ("front", "back") and line.identity_document:
        name = getattr(line.identity_document, f"{which}_file_name")
    else:
        name = ""
    if not name:
        raise Http404
    try:
        handle = private_file(name)
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type="image/png" if name.endswith(".png") else "image/jpeg"
    )
    response["Cache-Control"] = "no-store, private"
    return response


# --- Production and shipping -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(R.PRODUCTION)
def production(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            batch = fulfilment.batch_create(
                staff=request.user.get_username(), actor=staff_actor(request.user)
            )
        except ValidationError as exc:
            messages.error(request, _message(exc))
            return redirect("backoffice:production")
        messages.success(request, _("Batch %(id)s made.") % {"id": batch.pk})
        return redirect("backoffice:batch", pk=batch.pk)
    ready = fulfilment.lines_ready_for_production().count()
    return render(
        request,
        "backoffice/production.html",
        {"ready": ready, "batches": list(fulfilment.batches()[:50])},
    )


def _batch_or_404(pk: int) -> ProductionBatch:
    batch = fulfilment.batches().filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


BATCH_STEPS = {
    "produced": fulfilment.batch_mark_produced,
    "shipped": fulfilment.batch_ship,
    "delivered": fulfilment.batch_mark_delivered,
}


@require_GET
@staff_view(R.PRODUCTION)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(pk)
    lines = list(fulfilment.batch_lines(batch))
    rows = [
        {
            "line": line,
            "number": format_card_number(line.card.number),
            "state": line.card.get_state_display(),
        }
        for line in lines
    ]
    S = ProductionBatch.Status
    steps: dict[str, str] = {
        S.CREATED.value: "produced",
        S.PRODUCED.value: "shipped",
        S.SHIPPED.value: "delivered",
    }
    next_step = steps.get(batch.status)
    return render(
        request,
        "backoffice/batch.html",
        {
            "batch": batch,
            "rows": rows,
            "next_step": next_step,
            "shipments": list(Shipment.objects.filter(batch=batch).order_by("pk")),
        },
    )


@require_POST
@staff_view(R.PRODUCTION)
def batch_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    batch = _batch_or_404(pk)
    action = BATCH_STEPS.get(step)
    if action is None:
        raise Http404
    try:
        action(batch=batch, actor=staff_actor(request.user))
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        batch.refresh_from_db()
        messages.success(
            request,
            _("Batch %(id)s: %(status)s.") % {"id": batch.pk, "status": batch.get_status_display()},
        )
    return redirect("backoffice:batch", pk=batch.pk)


@require_GET
@staff_view(R.PRODUCTION)
def batch_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    batch = _batch_or_404(pk)
    if kind == "pdf":
        response = HttpResponse(fulfilment.batch_pdf(batch), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.pdf"'
    elif kind == "csv":
        response = HttpResponse(
            fulfilment.batch_manifest_csv(batch), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.csv"'
    else:
        raise Http404
    return response


@require_GET
@staff_view(R.PRODUCTION)
def batch_preview(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    batch = _batch_or_404(pk)
    line = fulfilment.batch_lines(batch).filter(pk=line_pk).first()
    if line is None:
        raise Http404
    return HttpResponse(
        fulfilment.card_preview_png(line, issue_date=batch.issue_date), content_type="image/png"
    )


@require_GET
@staff_view(R.PRODUCTION)
def packing_list(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = Shipment.objects.select_related("batch").filter(pk=pk).first()
    if shipment is None:
        raise Http404
    response = HttpResponse(fulfilment.packing_list_pdf(shipment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="packing-list-{shipment.pk}.pdf"'
    return response
