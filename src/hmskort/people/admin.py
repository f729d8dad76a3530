from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hmskort.identifiers import mask_national_id

from .models import Employment, Person


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


@admin.register(Employment)
class EmploymentAdmin(admin.ModelAdmin[Employment]):
    list_display = ("person", "employer", "main_unit", "starts_on", "ends_on", "source")
    list_filter = ("source",)
    list_select_related = ("person", "employer", "main_unit")
    raw_id_fields = ("person", "employer", "main_unit")
    readonly_fields = ("read_at",)
    show_full_result_count = False
