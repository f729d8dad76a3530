from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hmskort.identifiers import mask_national_id

from .models import Employment, Person
from .signals import person_facts_changed

# Person fields the card rules read: an edit here is announced like the services' changes (the
# card recompute trusts what it last read only because every change is announced).
PERSON_FACT_FIELDS = frozenset({"needs_residence_permit", "residence_permit_until"})


def _announce(person_ids: set[int]) -> None:
    if person_ids:
        person_facts_changed.send(sender=Person, person_ids=sorted(person_ids), cause="admin")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin[Person]):
    list_display = ("full_name", "masked_national_id", "birth_date", "national_id_valid")
    list_filter = ("national_id_valid", "needs_residence_permit")
    # Exact matches only: a staff member types the whole number, nothing leaks by prefix.
    search_fields = ("=national_id", "family_name")
    readonly_fields = ("national_id", "national_id_valid", "created_at", "updated_at")
    show_full_result_count = False

    @admin.display(description=_("national ID number"))
    def masked_national_id(self, person: Person) -> str:
        return mask_national_id(person.national_id)

    def has_delete_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and PERSON_FACT_FIELDS & set(form.changed_data):
            _announce({obj.pk})


@admin.register(Employment)
class EmploymentAdmin(admin.ModelAdmin[Employment]):
    list_display = ("person", "employer", "main_unit", "starts_on", "ends_on", "source")
    list_filter = ("source",)
    list_select_related = ("person", "employer", "main_unit")
    raw_id_fields = ("person", "employer", "main_unit")
    readonly_fields = ("read_at",)
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: Employment, form: Any, change: bool) -> None:
        before = {form.initial.get("person")} if change else set()
        super().save_model(request, obj, form, change)
        _announce({obj.person_id} | {int(p) for p in before if p is not None})

    def delete_model(self, request: HttpRequest, obj: Employment) -> None:
        person_id = obj.person_id
        super().delete_model(request, obj)
        _announce({person_id})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Employment]) -> None:
        person_ids = set(queryset.values_list("person_id", flat=True))
        super().delete_queryset(request, queryset)
        _announce(person_ids)
