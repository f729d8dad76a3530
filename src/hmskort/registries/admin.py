from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import sources
from .models import (
    BrregUnit,
    CleaningApproval,
    FeedCursor,
    RegistryRun,
    StaffingApproval,
)


@admin.register(RegistryRun)
class RegistryRunAdmin(admin.ModelAdmin[RegistryRun]):
    list_display = (
        "started_at",
        "source",
        "status",
        "records_read",
        "records_changed",
        "records_lost",
        "companies_recomputed",
        "finished_at",
    )
    list_filter = ("status", "source")
    date_hierarchy = "started_at"
    actions = ("approve", "reject")
    readonly_fields = [f.name for f in RegistryRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Approve the held runs and apply their facts"))
    def approve(self, request: HttpRequest, queryset: QuerySet[RegistryRun]) -> None:
        self._review(request, queryset, sources.approve_run)

    @admin.action(description=_("Reject the held runs and keep the last known facts"))
    def reject(self, request: HttpRequest, queryset: QuerySet[RegistryRun]) -> None:
        self._review(request, queryset, sources.reject_run)

    def _review(
        self,
        request: HttpRequest,
        queryset: QuerySet[RegistryRun],
        service: Callable[..., object],
    ) -> None:
        done = 0
        for run in queryset.filter(status=RegistryRun.Status.HELD):
            service(run_id=run.pk, staff_username=request.user.get_username())
            done += 1
        if done:
            self.message_user(
                request, ngettext("%(n)d run reviewed.", "%(n)d runs reviewed.", done) % {"n": done}
            )
        else:
            self.message_user(request, _("Only held runs can be reviewed."), messages.WARNING)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BrregUnit)
class BrregUnitAdmin(ReadOnlyAdmin):
    list_display = (
        "orgnr",
        "name",
        "registered_in_vat",
        "bankrupt",
        "under_forced_dissolution",
        "deleted_on",
        "removed",
        "read_at",
    )
    list_filter = ("registered_in_vat", "bankrupt", "removed", "is_sub_unit")
    search_fields = ("=orgnr", "name")
    show_full_result_count = False


@admin.register(CleaningApproval)
class CleaningApprovalAdmin(ReadOnlyAdmin):
    list_display = ("orgnr", "name", "status", "read_at")
    list_filter = ("status",)
    search_fields = ("=orgnr", "name")


@admin.register(StaffingApproval)
class StaffingApprovalAdmin(ReadOnlyAdmin):
    list_display = ("orgnr", "name", "status", "approved", "read_at")
    list_filter = ("approved",)
    search_fields = ("=orgnr", "name")


@admin.register(FeedCursor)
class FeedCursorAdmin(ReadOnlyAdmin):
    list_display = ("feed", "last_update_id", "since", "updated_at")
