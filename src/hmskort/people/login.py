"""The Person behind a login (used by hmskort.accounts): found or created by national ID number."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Person


def person_for_login(*, national_id: str, given_name: str = "", family_name: str = "") -> Person:
    """Find the person with this (already validated) number, or create them.

    Names from the login fill in names we do not have; names we have are not overwritten by
    empty ones.
    """
    try:
        with transaction.atomic():
            person, created = Person.objects.get_or_create(
                national_id=national_id,
                defaults={"given_name": given_name, "family_name": family_name},
            )
    except IntegrityError:  # created by a concurrent login
        person, created = Person.objects.get(national_id=national_id), False
    if not created and (given_name or family_name) and not person.full_name:
        person.given_name, person.family_name = given_name, family_name
        person.save(update_fields=["given_name", "family_name", "updated_at"])
    return person
