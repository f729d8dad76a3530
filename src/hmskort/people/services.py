"""Changes to persons and employments.

Every change to a fact the card rules read is announced with `person_facts_changed` (see
`people.signals`) in the same transaction; this app does not know what listens.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record
from hmskort.companies.models import Company
from hmskort.identifiers import InvalidIdentifier, is_valid_national_id, parse_national_id

from .images import ImageRefused, ProcessedImage, process_document, process_photo
from .models import Employment, IdentityDocument, Person, Photo
from .signals import person_facts_changed


def _clean_name(value: str, field: str, label: str) -> str:
    value = " ".join(str(value or "").split())
    if not value:
        raise ValidationError({field: _("Enter the %(field)s.") % {"field": label}})
    if len(value) > 200:
        raise ValidationError({field: _("The %(field)s is too long.") % {"field": label}})
    return value


@transaction.atomic
def person_record(
    *,
    national_id: str,
    given_name: str,
    family_name: str,
    actor: Actor,
    birth_date: dt.date | None = None,
) -> Person:
    """Find or record the person with this fødselsnummer or D-number; update the name if changed.

    An invalid number is refused with a message for the field `national_id`.
    """
    try:
        parsed = parse_national_id(national_id, allow_test=settings.HMSKORT_ALLOW_TEST_IDENTITIES)
    except InvalidIdentifier as error:
        raise ValidationError({"national_id": str(error)}) from None
    given_name = _clean_name(given_name, "given_name", _("given name"))
    family_name = _clean_name(family_name, "family_name", _("family name"))
    person, created = Person.objects.select_for_update().get_or_create(
        national_id=parsed.number,
        defaults={
            "given_name": given_name,
            "family_name": family_name,
            "birth_date": birth_date or parsed.birth_date,
        },
    )
    if created:
        record(actor=actor, action="person.recorded", target=person)
    elif (person.given_name, person.family_name) != (given_name, family_name):
        person.given_name, person.family_name = given_name, family_name
        person.save(update_fields=["given_name", "family_name", "updated_at"])
        record(actor=actor, action="person.renamed", target=person)
    return person


def _announce(person: Person, cause: str) -> None:
    person_facts_changed.send(sender=Person, person_ids=[person.pk], cause=cause)


@transaction.atomic
def employment_record(
    *,
    person: Person,
    employer: Company,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    source: str = Employment.Source.AAREG,
    actor: Actor,
    read_at: dt.datetime | None = None,
    announce: bool = True,
) -> Employment:
    """Record an employment as reported by a register (employer may be a sub-unit).

    With `announce` (default) the change is announced at once; bulk imports pass False and
    announce once at the end.
    """
    if source not in Employment.Source.values:
        raise ValidationError({"source": _("Unknown employment source.")})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end date is before the start date.")})
    employment, created = Employment.objects.update_or_create(
        person=person,
        employer=employer,
        source=source,
        starts_on=starts_on,
        defaults={
            "main_unit": employer.main_unit,
            "ends_on": ends_on,
            "read_at": read_at or timezone.now(),
        },
    )
    record(
        actor=actor,
        action="employment.recorded" if created else "employment.updated",
        target=employment,
        company=employer.main_unit,
        data={"source": source, "starts_on": str(starts_on), "ends_on": str(ends_on or "")},
    )
    if announce:
        _announce(person, f"employment.{source}")
    return employment


@transaction.atomic
def person_set_residence_permit(
    *, person: Person, needs_permit: bool, until: dt.date | None, actor: Actor
) -> Person:
    person.needs_residence_permit = needs_permit
    person.residence_permit_until = until
    person.save(update_fields=["needs_residence_permit", "residence_permit_until", "updated_at"])
    record(
        actor=actor,
        action="person.residence_permit",
        target=person,
        data={"needs_permit": needs_permit, "until": str(until or "")},
    )
    _announce(person, "residence_permit")
    return person


@transaction.atomic
def person_set_national_id_valid(*, person: Person, valid: bool, actor: Actor) -> Person:
    """Record what Folkeregisteret says about the number (for example a D-number taken out of use)."""
    if person.national_id_valid != valid:
        person.national_id_valid = valid
        person.save(update_fields=["national_id_valid", "updated_at"])
        record(actor=actor, action="person.national_id_valid", target=person, data={"valid": valid})
        _announce(person, "folkeregisteret")
    return person


def people_revalidate_national_ids(
    *, actor: Actor, progress: Callable[[int], None] | None = None
) -> int:
    """Check every stored number against the current rules (e.g. when they change in 2032, or
    when test identities are no longer allowed); record and announce the changes."""
    allow_test = settings.HMSKORT_ALLOW_TEST_IDENTITIES
    changed = 0
    last = 0
    while True:
        batch = list(
            Person.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "national_id", "national_id_valid")[:5000]
        )
        if not batch:
            break
        last = batch[-1][0]
        for pk, number, stored in batch:
            valid = is_valid_national_id(number, allow_test=allow_test)
            if valid != stored:
                person_set_national_id_valid(
                    person=Person.objects.get(pk=pk), valid=valid, actor=actor
                )
                changed += 1
        if progress:
            progress(last)
    return changed


# --- Photos and photo IDs ---------------------------------------------------------------------

UPLOADED_BY = ("orderer", "holder")


def _private_storage() -> Storage:
    from django.core.files.storage import storages

    return storages["private"]


def _save_private(folder: str, image: ProcessedImage) -> str:
    from django.core.files.base import ContentFile

    name = f"{folder}/{uuid.uuid4().hex}.{image.extension}"
    return str(_private_storage().save(name, ContentFile(image.content)))


def _delete_private(*names: str) -> None:
    storage = _private_storage()
    for name in names:
        if name:
            storage.delete(name)


def private_file(name: str) -> File[bytes]:
    """Open a stored photo or photo ID image (for the views that may show it)."""
    return _private_storage().open(name, "rb")


@dataclass(frozen=True)
class DocumentsUpload:
    """Photo and photo ID as uploaded, before anything is stored."""

    photo: Any
    document_kind: str
    document_front: Any
    document_back: Any = None


@dataclass(frozen=True)
class ProcessedDocuments:
    photo: ProcessedImage
    document_kind: str
    front: ProcessedImage
    back: ProcessedImage | None


def documents_process(upload: DocumentsUpload) -> ProcessedDocuments:
    """Verify and re-encode every image; collect every refusal, per field, before storing any."""
    errors: dict[str, list[str]] = {}
    if upload.document_kind not in IdentityDocument.Kind.values:
        errors["document_kind"] = [_("Choose the type of photo ID.")]
    processed: dict[str, ProcessedImage | None] = {}
    for field_name, file, process in (
        ("photo", upload.photo, process_photo),
        ("document_front", upload.document_front, process_document),
        ("document_back", upload.document_back, process_document),
    ):
        if file is None:
            processed[field_name] = None
            if field_name != "document_back":
                errors[field_name] = [
                    _("Choose a photo.")
                    if field_name == "photo"
                    else _("Choose an image of the photo ID.")
                ]
            continue
        try:
            processed[field_name] = process(file)
        except ImageRefused as refused:
            errors[field_name] = refused.messages
    if errors:
        raise ValidationError(errors)
    assert processed["photo"] and processed["document_front"]
    return ProcessedDocuments(
        photo=processed["photo"],
        document_kind=upload.document_kind,
        front=processed["document_front"],
        back=processed["document_back"],
    )


@dataclass(frozen=True)
class StoredFiles:
    photo: str
    front: str
    back: str = ""

    def delete(self) -> None:
        """Remove the files again (the rows that would name them were not written)."""
        _delete_private(self.photo, self.front, self.back)


def documents_save_files(documents: ProcessedDocuments) -> StoredFiles:
    """Write the re-encoded images to the private storage (before the database rows)."""
    names: list[str] = []
    try:
        names.append(_save_private("photos", documents.photo))
        names.append(_save_private("photo-ids", documents.front))
        names.append(_save_private("photo-ids", documents.back) if documents.back else "")
    except BaseException:
        _delete_private(*names)
        raise
    return StoredFiles(*names)


@transaction.atomic
def documents_record(
    *,
    person: Person,
    documents: ProcessedDocuments,
    files: StoredFiles,
    uploaded_by: str,
    actor: Actor,
) -> tuple[Photo, IdentityDocument]:
    """Record a stored photo and photo ID for the person (the caller removes the files if its
    transaction fails: see orders.services.documents_submit)."""
    if uploaded_by not in UPLOADED_BY:
        raise ValueError(uploaded_by)
    photo = Photo.objects.create(
        person=person,
        file_name=files.photo,
        width=documents.photo.width,
        height=documents.photo.height,
        uploaded_by=uploaded_by,
    )
    document = IdentityDocument.objects.create(
        person=person,
        kind=documents.document_kind,
        front_file_name=files.front,
        back_file_name=files.back,
        uploaded_by=uploaded_by,
    )
    record(
        actor=actor,
        action="person.documents_uploaded",
        target=person,
        data={"photo": photo.pk, "document": document.pk, "kind": document.kind, "by": uploaded_by},
    )
    return photo, document


@transaction.atomic
def photo_verified(*, photo: Photo, actor: Actor) -> Photo:
    """The issuer has approved the photo against the photo ID: from now on it may be shown to
    whoever scans the QR code of the person's valid card. Approving it again changes nothing."""
    photo = Photo.objects.select_for_update().get(pk=photo.pk)
    if photo.verified_at is not None:
        return photo
    photo.verified_at = timezone.now()
    photo.save(update_fields=["verified_at"])
    record(
        actor=actor,
        action="person.photo_verified",
        target=photo.person,
        data={"photo": photo.pk},
    )
    return photo


def identity_document_decided(
    *, document: IdentityDocument, verified_by: str, actor: Actor
) -> IdentityDocument:
    """The issuer has decided on a photo ID: record who and when, and delete its images from
    storage once the decision is committed. The record (kind, when, by whom) stays."""
    document = IdentityDocument.objects.select_for_update().get(pk=document.pk)
    names = [n for n in (document.front_file_name, document.back_file_name) if n]
    now = timezone.now()
    document.verified_at = now
    document.verified_by = verified_by[:150]
    document.front_file_name = ""
    document.back_file_name = ""
    document.images_deleted_at = now
    document.save(
        update_fields=[
            "verified_at",
            "verified_by",
            "front_file_name",
            "back_file_name",
            "images_deleted_at",
        ]
    )
    record(
        actor=actor,
        action="person.photo_id_images_deleted",
        target=document.person,
        data={"document": document.pk, "kind": document.kind},
    )
    if names:
        transaction.on_commit(lambda: _delete_private(*names))
    return document
