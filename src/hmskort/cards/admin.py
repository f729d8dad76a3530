"""Staff views of cards. Lifecycle changes go through the services (admin actions), never by
editing the state, so every change is legal, audited and recomputed."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hmskort.audit.services import Actor

from . import recompute, services
from .models import Card, CardStatusChange, CardType
from .rules import reason_title


@admin.register(CardType)
class CardTypeAdmin(admin.ModelAdmin[CardType]):
    list_display = ("code", "name_nb", "name_en", "requires_cleaning_approval", "is_active")
    filter_horizontal = ("also_valid_as",)


class CardStatusChangeInline(admin.TabularInline[CardStatusChange, Card]):
    model = CardStatusChange
    extra = 0
    can_delete = False
    fields = ("at", "valid", "reasons", "state", "cause")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Card | None = None) -> bool:
        return False


@admin.register(Card)
class CardAdmin(admin.ModelAdmin[Card]):
    list_display = ("number", "card_type", "holder", "company", "state", "valid", "reason_titles")
    list_filter = ("state", "valid", "card_type")
    search_fields = ("=number", "company__orgnr", "company__name")
    list_select_related = ("card_type", "holder", "company")
    raw_id_fields = ("holder", "company", "replaces")
    readonly_fields = (
        "number",
        "qr_token",
        "card_type",
        "holder",
        "company",
        "state",
        "issued_on",
        "expires_on",
        "replaces",
        "valid",
        "reasons",
        "validity_changed_at",
        "created_at",
        "updated_at",
    )
    inlines = (CardStatusChangeInline,)
    actions = ("recompute", "report_lost", "report_stolen", "block", "unblock", "terminate")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Card | None = None) -> bool:
        return False

    @admin.display(description=_("reasons"))
    def reason_titles(self, card: Card) -> str:
        return ", ".join(reason_title(code) for code in card.reasons)

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Card],
        service: Callable[..., Card],
        **kwargs: Any,
    ) -> None:
        actor = Actor.staff(request.user.get_username())
        done = 0
        for card in queryset:
            try:
                service(card=card, actor=actor, **kwargs)
                done += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{card.number}: {' '.join(error.messages)}", messages.ERROR
                )
        if done:
            self.message_user(
                request, ngettext("%(n)d card changed.", "%(n)d cards changed.", done) % {"n": done}
            )

    @admin.action(description=_("Recompute validity"))
    def recompute(self, request: HttpRequest, queryset: QuerySet[Card]) -> None:
        changed = recompute.recompute_cards(
            card_ids=list(queryset.values_list("pk", flat=True)),
            cause=f"staff:{request.user.get_username()}"[:64],
        )
        self.message_user(
            request,
            ngettext("%(n)d card changed validity.", "%(n)d cards changed validity.", changed)
            % {"n": changed},
        )

    @admin.action(description=_("Report lost"))
    def report_lost(self, request: HttpRequest, queryset: QuerySet[Card]) -> None:
        self._each(request, queryset, services.card_report_lost)

    @admin.action(description=_("Report stolen"))
    def report_stolen(self, request: HttpRequest, queryset: QuerySet[Card]) -> None:
        self._each(request, queryset, services.card_report_stolen)

    @admin.action(description=_("Block (the issuer's decision)"))
    def block(self, request: HttpRequest, queryset: QuerySet[Card]) -> None:
        self._each(request, queryset, services.card_block, reason="issuer_decision")

    @admin.action(description=_("Lift the block"))
    def unblock(self, request: HttpRequest, queryset: QuerySet[Card]) -> None:
        self._each(request, queryset, services.card_unblock)

    @admin.action(description=_("Terminate"))
    def terminate(self, request: HttpRequest, queryset: QuerySet[Card]) -> None:
        self._each(request, queryset, services.card_terminate)
