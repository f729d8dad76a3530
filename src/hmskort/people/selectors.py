"""Reads about persons and employments."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from hmskort.companies.models import Company

from .models import Person, Photo


def current_employees(company: Company, *, today: dt.date | None = None) -> QuerySet[Person]:
    """Persons with an employment in force with the company's main unit (any sub-unit)."""
    today = today or timezone.localdate()
    return (
        Person.objects.filter(
            Q(employments__ends_on__isnull=True) | Q(employments__ends_on__gte=today),
            employments__main_unit=company.main_unit,
            employments__starts_on__lte=today,
        )
        .distinct()
        .order_by("family_name", "given_name", "pk")
    )


def latest_photo(person: Person) -> Photo | None:
    return person.photos.first()
