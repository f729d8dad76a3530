"""Ordering cards: orders, their cards, the employee's secure upload link, photo and photo ID,
cancelling before production, and lost or stolen cards with their replacement.

Every state change is keyword-only, runs in one transaction and writes its audit event there.
Cards are made and moved only through the cards services. Submitting the same form twice (a
double click, a retry after a timeout) returns the first order: the form's one-time key is unique.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record
from hmskort.cards import services as cards
from hmskort.cards.models import Card, CardState, CardType
from hmskort.cards.selectors import live_replacements
from hmskort.companies.models import Company, DeliveryAddress
from hmskort.companies.selectors import access_for
from hmskort.identifiers import mask_national_id
from hmskort.people import services as people
from hmskort.people.models import Person

from .models import Order, OrderLine, Price, UploadLink
from .selectors import RENEWAL_WITHIN_DAYS, OrdererContact, last_orderer_contact, price_in_force

log = logging.getLogger(__name__)

S = CardState
# A card can be cancelled until it goes into production.
CANCELLABLE_STATES = (S.ORDERED, S.AWAITING_DOCUMENTS, S.AWAITING_VERIFICATION, S.APPROVED)
MAX_CARDS_PER_ORDER = 5000
_LINK_SALT = "hmskort.orders.upload-link"


class OrderRefused(ValidationError):
    """The order cannot be placed or changed; the message says why (in the user's language)."""


class LinkNotFound(Exception):
    """Unknown or tampered link: answer 404."""


class LinkGone(Exception):
    """A link that existed but can no longer be used: answer 410. `reason`: expired, revoked,
    used or locked."""

    def __init__(self, reason: str, link: UploadLink) -> None:
        super().__init__(reason)
        self.reason = reason
        self.link = link


@dataclass(frozen=True)
class Holder:
    """Whom a card is for: a known person (by primary key) or a person given by number and name."""

    person_id: int | None = None
    national_id: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    language: str = "nb"
    # A renewal: the card (of this person, from this company) the new card takes the place of.
    renews_card_id: int | None = None


@dataclass
class OrderResult:
    order: Order
    created: bool
    # Upload links made now, by line id: the full URL, shown once to the orderer.
    links: dict[int, str] = field(default_factory=dict)


def _orderer_actor(person: Person) -> Actor:
    return Actor.person(person.pk, person.full_name)


def _check_access(orderer: Person, company: Company) -> None:
    if access_for(orderer.national_id, company) is None:
        raise OrderRefused(_("You may not order cards for this company."), code="no_access")


def orderer_contact(*, email: str, language: str) -> OrdererContact:
    """The orderer's e-mail address and language for messages about an order, checked: a
    ValidationError per field (orderer_email, orderer_language) in the active language."""
    from django.core.validators import validate_email

    email = (email or "").strip()
    errors: dict[str, str] = {}
    if not email:
        errors["orderer_email"] = _(
            "Give your e-mail address: the card issuer writes to you there about the order."
        )
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["orderer_email"] = _("Give an e-mail address like name@example.no.")
        if len(email) > 254:
            errors["orderer_email"] = _("The e-mail address is too long.")
    if language not in ("nb", "en"):
        errors["orderer_language"] = _("Choose Norwegian or English.")
    if errors:
        raise OrderRefused(errors, code="contact")
    return OrdererContact(email=email, language=language)


def _contact_for(orderer: Person, contact: OrdererContact | None) -> OrdererContact:
    """The contact given (checked), else the one from the orderer's last order, else none."""
    if contact is not None:
        return orderer_contact(email=contact.email, language=contact.language)
    return last_orderer_contact(orderer) or OrdererContact(email="", language="nb")


def _key(idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if not 16 <= len(key) <= 64:
        raise OrderRefused(
            _("The form has expired. Reload the page and try again."), code="bad_key"
        )
    return key


def card_type_for(company: Company) -> CardType:
    """The card type follows the company: cleaning cards for a company in Renholdsregisteret."""
    main = company.main_unit
    return main.card_type or CardType.objects.get(code="construction")


def _address_for(company: Company, address: DeliveryAddress | None) -> DeliveryAddress:
    main = company.main_unit
    if (
        address is None
        or address.company_id not in (main.pk, company.pk)
        or address.archived_at is not None
    ):
        raise OrderRefused(
            {"delivery_address": _("Choose one of the company's delivery addresses.")},
            code="no_address",
        )
    return address


def _price(card_type: CardType) -> Price:
    price = price_in_force(card_type)
    if price is None:
        raise OrderRefused(
            _("There is no price for %(card_type)s yet; it cannot be ordered.")
            % {"card_type": card_type.name()},
            code="no_price",
        )
    return price


def _resolve_holders(holders: list[Holder], *, actor: Actor, main: Company) -> list[Person]:
    if not holders:
        raise OrderRefused(_("Choose at least one person to order a card for."), code="empty")
    if len(holders) > MAX_CARDS_PER_ORDER:
        raise OrderRefused(
            _("An order can hold at most %(n)s cards.") % {"n": MAX_CARDS_PER_ORDER}, code="big"
        )
    persons: list[Person] = []
    for holder in holders:
        if holder.renews_card_id:
            person = _renewed_card(holder, main).holder
        elif holder.person_id:
            found = Person.objects.filter(pk=holder.person_id).first()
            known = found is not None and (
                found.employments.filter(main_unit=main).exists()
                or OrderLine.objects.filter(order__company=main, holder=found).exists()
            )
            if not known or found is None:
                raise OrderRefused(_("Choose people from the list of employees."), code="unknown")
            person = found
        else:
            person = people.person_record(
                national_id=holder.national_id,
                given_name=holder.given_name,
                family_name=holder.family_name,
                actor=actor,
            )
        if any(p.pk == person.pk for p in persons):
            raise OrderRefused(
                _("%(name)s is in the order twice.") % {"name": person.full_name},
                code="duplicate",
            )
        persons.append(person)
    return persons


def renewable(card: Card, *, today: dt.date | None = None) -> bool:
    """An issued card that expires within RENEWAL_WITHIN_DAYS (or has expired) and has no
    live replacement (one cancelled or refused does not count)."""
    today = today or timezone.localdate()
    return (
        card.state == S.ISSUED
        and card.expires_on is not None
        and card.expires_on <= today + dt.timedelta(days=RENEWAL_WITHIN_DAYS)
        and not live_replacements().filter(replaces=card).exists()
    )


def _renewed_card(holder: Holder, main: Company) -> Card:
    card = (
        Card.objects.select_related("holder", "card_type")
        .filter(pk=holder.renews_card_id or 0, company=main)
        .first()
    )
    if card is None or (holder.person_id and card.holder_id != holder.person_id):
        raise OrderRefused(_("Choose cards from the company's list of cards."), code="unknown")
    if not renewable(card):
        raise OrderRefused(
            _(
                "Card %(number)s cannot be renewed: only an issued card that expires within "
                "%(days)s days, and is not renewed already, can be."
            )
            % {"number": card.number, "days": RENEWAL_WITHIN_DAYS},
            code="not_renewable",
        )
    return card


def _request_register_lookup(company: Company) -> None:
    """A company first seen through ordering is read from Enhetsregisteret soon."""
    from hmskort.registries.models import BrregUnit
    from hmskort.registries.sources import request_lookup

    if not BrregUnit.objects.filter(orgnr=company.orgnr).exists():
        request_lookup(orgnrs=[company.orgnr])


def order_place(
    *,
    company: Company,
    orderer: Person,
    holders: list[Holder],
    delivery_address: DeliveryAddress | None,
    idempotency_key: str,
    contact: OrdererContact | None = None,
) -> OrderResult:
    """Place an order of one card per holder for the company (a sub-unit orders for its main unit).

    `contact`: the orderer's e-mail address and language for the issuer's messages about the
    order (the portal asks for it); without one, the contact of the orderer's last order is used.
    All or nothing: if any card cannot be ordered, nothing is saved. The same key twice returns
    the first order (`created` False), also when two requests race.
    """
    return _once(
        idempotency_key,
        company,
        orderer,
        lambda key: _place(
            company=company,
            orderer=orderer,
            holders=holders,
            delivery_address=delivery_address,
            key=key,
            contact=_contact_for(orderer, contact),
        ),
    )


def _once(
    idempotency_key: str,
    company: Company,
    orderer: Person,
    place: Callable[[str], OrderResult],
) -> OrderResult:
    """`place(key)` once per one-time key: the same key again (a double submit, a retry, or a
    request that lost the race on the key's unique index) returns the first order."""
    key = _key(idempotency_key)
    existing = _existing(key, company, orderer)
    if existing:
        return OrderResult(order=existing, created=False)
    try:
        return place(key)
    except IntegrityError:
        existing = _existing(key, company, orderer)
        if existing is None:
            raise
        return OrderResult(order=existing, created=False)


def _existing(key: str, company: Company, orderer: Person) -> Order | None:
    order = Order.objects.filter(idempotency_key=key).first()
    if order is None:
        return None
    if order.company_id != company.main_unit.pk or order.ordered_by_id != orderer.pk:
        raise OrderRefused(_("The form has expired. Reload the page and try again."), code="key")
    return order


def _new_order(
    *,
    company: Company,
    card_type: CardType,
    orderer: Person,
    contact: OrdererContact,
    kind: str,
    key: str,
    price: Price,
    address: DeliveryAddress,
) -> Order:
    """The order row: the price in force and the delivery address copied as they are now."""
    return Order.objects.create(
        company=company,
        card_type=card_type,
        ordered_by=orderer,
        ordered_by_name=orderer.full_name,
        kind=kind,
        orderer_email=contact.email,
        orderer_language=contact.language,
        idempotency_key=key,
        price=price,
        unit_price_ex_vat=price.amount_ex_vat,
        vat_rate=price.vat_rate,
        delivery_address=address,
        delivery_recipient=address.recipient,
        delivery_attention=address.attention,
        delivery_street=address.street,
        delivery_postcode=address.postcode,
        delivery_city=address.city,
    )


@transaction.atomic
def _place(
    *,
    company: Company,
    orderer: Person,
    holders: list[Holder],
    delivery_address: DeliveryAddress | None,
    key: str,
    contact: OrdererContact,
) -> OrderResult:
    _check_access(orderer, company)
    main = company.main_unit
    address = _address_for(company, delivery_address)
    card_type = card_type_for(main)
    price = _price(card_type)
    actor = _orderer_actor(orderer)
    order = _new_order(
        company=main,
        card_type=card_type,
        orderer=orderer,
        contact=contact,
        kind="renewal" if holders and all(h.renews_card_id for h in holders) else "order",
        key=key,
        price=price,
        address=address,
    )
    persons = _resolve_holders(holders, actor=actor, main=main)
    links: dict[int, str] = {}
    for holder, person in zip(holders, persons, strict=True):
        if holder.renews_card_id:
            card = _renew(holder, main=main, card_type=card_type, actor=actor)
        else:
            card = cards.card_order(actor=actor, company=main, holder=person, card_type=card_type)
        card = cards.card_transition(card=card, to_state=S.AWAITING_DOCUMENTS, actor=actor)
        line = OrderLine.objects.create(
            order=order,
            card=card,
            holder=person,
            unit_price_ex_vat=price.amount_ex_vat,
            email=holder.email.strip(),
            language=holder.language if holder.language in ("nb", "en") else "nb",
        )
        _link, url = _issue_link(line, actor=actor, email=line.email, language=line.language)
        links[line.pk] = url
    record(
        actor=actor,
        action="order.placed",
        target=order,
        company=main,
        data={
            "cards": len(persons),
            "card_type": card_type.code,
            "unit_price_ex_vat": str(price.amount_ex_vat),
            "vat_rate": str(price.vat_rate),
        },
    )
    _request_register_lookup(main)
    return OrderResult(order=order, created=True, links=links)


def _renew(holder: Holder, *, main: Company, card_type: CardType, actor: Actor) -> Card:
    """A new card in place of an expiring one (same person, same card type); the old card stays
    valid until the new one is issued, then becomes `replaced`."""
    old = Card.objects.select_for_update().get(pk=_renewed_card(holder, main).pk)
    if not renewable(old):  # renewed by another order meanwhile
        raise OrderRefused(
            _("Card %(number)s is renewed already.") % {"number": old.number}, code="renewed"
        )
    if old.card_type_id != card_type.pk:
        raise OrderRefused(
            _("%(company)s now orders %(card_type)s; order a new card instead of renewing.")
            % {"company": main.name, "card_type": card_type.name()},
            code="card_type",
        )
    return cards.card_replace(card=old, actor=actor)


def order_renew(
    *,
    company: Company,
    orderer: Person,
    card_ids: list[int],
    delivery_address: DeliveryAddress | None,
    idempotency_key: str,
) -> OrderResult:
    """Renew expiring cards in one order: a new card for each (the same person and card type),
    placed like any order (price in force, delivery address, the form's one-time key)."""
    main = company.main_unit
    holders = []
    for card_id in card_ids:
        card = Card.objects.filter(pk=card_id, company=main).only("pk", "holder_id").first()
        if card is None:
            raise OrderRefused(_("Choose cards from the company's list of cards."), code="unknown")
        holders.append(Holder(person_id=card.holder_id, renews_card_id=card.pk))
    return order_place(
        company=company,
        orderer=orderer,
        holders=holders,
        delivery_address=delivery_address,
        idempotency_key=idempotency_key,
    )


# --- The employee's secure upload link --------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def upload_url(token: str, language: str = "nb") -> str:
    with translation.override(language):
        path = reverse("portal:upload", kwargs={"token": token})
    return f"{settings.HMSKORT_BASE_URL}{path}"


def _issue_link(
    line: OrderLine, *, actor: Actor, email: str = "", language: str = "nb", secret: str = ""
) -> tuple[UploadLink, str]:
    now = timezone.now()
    if secret:
        # A fixed secret (demo data): the same link again while it is usable.
        same = UploadLink.objects.filter(
            line=line,
            secret_hash=_hash(secret),
            revoked_at__isnull=True,
            used_at__isnull=True,
            locked_at__isnull=True,
            expires_at__gt=now,
        ).first()
        if same is not None:
            return same, upload_url(signing.Signer(salt=_LINK_SALT).sign(secret), same.language)
    UploadLink.objects.filter(line=line, revoked_at__isnull=True, used_at__isnull=True).update(
        revoked_at=now
    )
    secret = secret or secrets.token_urlsafe(32)
    UploadLink.objects.filter(secret_hash=_hash(secret)).update(
        secret_hash=f"old:{now.timestamp()}"
    )
    link = UploadLink.objects.create(
        line=line,
        secret_hash=_hash(secret),
        email=email,
        language=language,
        expires_at=now + dt.timedelta(days=settings.HMSKORT_UPLOAD_LINK_DAYS),
    )
    token = signing.Signer(salt=_LINK_SALT).sign(secret)
    url = upload_url(token, language)
    record(
        actor=actor,
        action="order.upload_link_made",
        target=link,
        company=line.order.company,
        data={"line": line.pk, "card": line.card_id, "emailed": bool(email)},
    )
    if email:
        transaction.on_commit(lambda: _send_link(link.pk, url))
    return link, url


def _send_link(link_id: int, url: str) -> None:
    link = UploadLink.objects.select_related(
        "line__order__company", "line__holder", "line__order__card_type"
    ).get(pk=link_id)
    line = link.line
    context = {
        "holder": line.holder.full_name,
        "company": line.order.company.name,
        "orderer": line.order.ordered_by_name,
        "card_type": line.order.card_type,
        "url": url,
        "expires_at": link.expires_at,
    }
    with translation.override(link.language):
        context["card_type_name"] = line.order.card_type.name(link.language)
        subject = _("Upload your photo and photo ID for your HSE card")
        body = render_to_string("orders/upload_link_email.txt", context)
    send_mail(subject, body, None, [link.email])


@transaction.atomic
def upload_link_renew(
    *, line: OrderLine, orderer: Person, email: str = "", language: str = "nb", secret: str = ""
) -> str:
    """A new link for a card still waiting for documents; the earlier link stops working."""
    _check_access(orderer, line.order.company)
    card = Card.objects.get(pk=line.card_id)
    if card.state != S.AWAITING_DOCUMENTS or line.cancelled_at:
        raise OrderRefused(
            _("This card is not waiting for a photo and photo ID."), code="not_waiting"
        )
    _link, url = _issue_link(
        line, actor=_orderer_actor(orderer), email=email.strip(), language=language, secret=secret
    )
    return url


@transaction.atomic
def upload_link_revoke(*, line: OrderLine, orderer: Person) -> int:
    _check_access(orderer, line.order.company)
    count = UploadLink.objects.filter(
        line=line, revoked_at__isnull=True, used_at__isnull=True
    ).update(revoked_at=timezone.now())
    if count:
        record(
            actor=_orderer_actor(orderer),
            action="order.upload_link_revoked",
            target=line,
            company=line.order.company,
            data={"line": line.pk},
        )
    return count


def upload_link_for(token: str) -> UploadLink:
    """The link behind a token. Raises LinkNotFound (unknown or tampered) or LinkGone."""
    try:
        secret = signing.Signer(salt=_LINK_SALT).unsign(token or "")
    except signing.BadSignature:
        raise LinkNotFound from None
    link = (
        UploadLink.objects.select_related(
            "line__order__company", "line__order__card_type", "line__holder", "line__card"
        )
        .filter(secret_hash=_hash(secret))
        .first()
    )
    if link is None:
        raise LinkNotFound
    if link.used_at:
        raise LinkGone("used", link)
    if link.revoked_at or link.line.cancelled_at:
        raise LinkGone("revoked", link)
    if link.locked_at:
        raise LinkGone("locked", link)
    if link.expires_at <= timezone.now():
        raise LinkGone("expired", link)
    if link.line.card.state != S.AWAITING_DOCUMENTS:
        raise LinkGone("used", link)
    return link


def upload_link_check_birth_date(*, link: UploadLink, birth_date: dt.date) -> bool:
    """The worker confirms their birth date. After too many wrong dates the link is locked."""
    with transaction.atomic():
        link = UploadLink.objects.select_for_update().select_related("line__holder").get(pk=link.pk)
        if link.locked_at:
            raise LinkGone("locked", link)
        holder = link.line.holder
        expected = holder.birth_date or _birth_date_from_number(holder.national_id)
        if expected is not None and birth_date == expected:
            return True
        link.failed_attempts += 1
        fields = ["failed_attempts"]
        if link.failed_attempts >= settings.HMSKORT_UPLOAD_LINK_MAX_TRIES:
            link.locked_at = timezone.now()
            fields.append("locked_at")
            record(
                actor=Actor.system("upload-link"),
                action="order.upload_link_locked",
                target=link,
                company=link.line.order.company,
                data={"line": link.line_id},
            )
        link.save(update_fields=fields)
    if link.locked_at:
        raise LinkGone("locked", link)
    return False


def _birth_date_from_number(national_id: str) -> dt.date | None:
    from hmskort.identifiers import InvalidIdentifier, parse_national_id

    try:
        return parse_national_id(national_id, allow_test=True).birth_date
    except InvalidIdentifier:
        return None


# --- Photo and photo ID -----------------------------------------------------------------------


def documents_submit(
    *,
    line: OrderLine,
    upload: people.DocumentsUpload,
    actor: Actor,
    uploaded_by: str,
    link: UploadLink | None = None,
) -> OrderLine:
    """Store the photo and photo ID for a card waiting for them; the card then waits for the
    issuer's verification. Images are checked before anything is stored; a failure after the
    files are written removes them again."""
    processed = people.documents_process(upload)
    files = people.documents_save_files(processed)
    try:
        return _documents_record(
            line=line,
            processed=processed,
            files=files,
            actor=actor,
            uploaded_by=uploaded_by,
            link=link,
        )
    except BaseException:
        files.delete()
        raise


@transaction.atomic
def _documents_record(
    *,
    line: OrderLine,
    processed: people.ProcessedDocuments,
    files: people.StoredFiles,
    actor: Actor,
    uploaded_by: str,
    link: UploadLink | None,
) -> OrderLine:
    line = OrderLine.objects.select_for_update().select_related("order", "card").get(pk=line.pk)
    card = Card.objects.select_for_update().get(pk=line.card_id)
    if card.state != S.AWAITING_DOCUMENTS or line.cancelled_at:
        raise OrderRefused(
            _("This card is not waiting for a photo and photo ID."), code="not_waiting"
        )
    if link is not None:
        link = UploadLink.objects.select_for_update().get(pk=link.pk)
        if link.used_at or link.revoked_at or link.locked_at or link.line_id != line.pk:
            raise OrderRefused(_("This link can no longer be used."), code="link_gone")
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    photo, document = people.documents_record(
        person=line.holder, documents=processed, files=files, uploaded_by=uploaded_by, actor=actor
    )
    line.photo, line.identity_document = photo, document
    line.save(update_fields=["photo", "identity_document"])
    UploadLink.objects.filter(line=line, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    cards.card_transition(card=card, to_state=S.AWAITING_VERIFICATION, actor=actor)
    record(
        actor=actor,
        action="order.documents_received",
        target=line,
        company=line.order.company,
        data={"line": line.pk, "card": card.pk, "by": uploaded_by},
    )
    return line


# --- Cancelling, replacing --------------------------------------------------------------------


def _line_cancellable(line: OrderLine) -> bool:
    return line.cancelled_at is None and line.card.state in CANCELLABLE_STATES


@transaction.atomic
def order_cancel(*, order: Order, orderer: Person, line_ids: list[int] | None = None) -> int:
    """Cancel the order's cards that have not gone into production (all, or those in line_ids).

    Returns how many were cancelled. Cancelling what is already cancelled changes nothing.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    _check_access(orderer, order.company)
    actor = _orderer_actor(orderer)
    lines = list(order.lines.select_related("card").order_by("pk"))
    chosen = [ln for ln in lines if line_ids is None or ln.pk in line_ids]
    cancellable = [ln for ln in chosen if _line_cancellable(ln)]
    if not cancellable:
        if all(ln.cancelled_at for ln in chosen):
            return 0
        raise OrderRefused(
            _("These cards have gone into production and can no longer be cancelled."),
            code="in_production",
        )
    now = timezone.now()
    for line in cancellable:
        cards.card_terminate(card=line.card, actor=actor, note="order cancelled")
        line.cancelled_at = now
        line.save(update_fields=["cancelled_at"])
        UploadLink.objects.filter(line=line, revoked_at__isnull=True).update(revoked_at=now)
    if all(ln.cancelled_at for ln in lines):
        order.status = Order.Status.CANCELLED
        order.cancelled_at = now
        order.save(update_fields=["status", "cancelled_at"])
    record(
        actor=actor,
        action="order.cancelled"
        if order.status == Order.Status.CANCELLED
        else "order.lines_cancelled",
        target=order,
        company=order.company,
        data={"lines": [ln.pk for ln in cancellable]},
    )
    return len(cancellable)


REPORTS = {"lost": cards.card_report_lost, "stolen": cards.card_report_stolen}


def card_report_and_replace(
    *,
    card: Card,
    report: str,
    orderer: Person,
    delivery_address: DeliveryAddress | None,
    idempotency_key: str,
    contact: OrdererContact | None = None,
) -> OrderResult:
    """Report a card lost or stolen (it stops being valid at once) and order its replacement,
    in one step. The photo on file is used again; the replacement waits for verification.
    `contact` as for `order_place` (default: the orderer's last order's)."""
    if report not in REPORTS:
        raise OrderRefused({"report": _("Choose lost or stolen.")}, code="report")
    return _replacement_once(
        card=card,
        report=report,
        orderer=orderer,
        address=delivery_address,
        idempotency_key=idempotency_key,
        contact=contact,
    )


def card_replacement_order(
    *,
    card: Card,
    orderer: Person,
    delivery_address: DeliveryAddress | None,
    idempotency_key: str,
    contact: OrdererContact | None = None,
) -> OrderResult:
    """Order a new card in place of a card reported lost or stolen whose replacement was
    cancelled or refused (`selectors.can_order_again`), as the report does: the photo on file
    is used again, one order per one-time key."""
    return _replacement_once(
        card=card,
        report=None,
        orderer=orderer,
        address=delivery_address,
        idempotency_key=idempotency_key,
        contact=contact,
    )


def _replacement_once(
    *,
    card: Card,
    report: str | None,
    orderer: Person,
    address: DeliveryAddress | None,
    idempotency_key: str,
    contact: OrdererContact | None,
) -> OrderResult:
    return _once(
        idempotency_key,
        card.company,
        orderer,
        lambda key: _replace(
            card=card,
            report=report,
            orderer=orderer,
            address=address,
            key=key,
            contact=_contact_for(orderer, contact),
        ),
    )


@transaction.atomic
def _replace(
    *,
    card: Card,
    report: str | None,
    orderer: Person,
    address: DeliveryAddress | None,
    key: str,
    contact: OrdererContact,
) -> OrderResult:
    """The replacement's order: after reporting the card (`report`), or again (None)."""
    card = Card.objects.select_for_update().select_related("company", "card_type").get(pk=card.pk)
    company = card.company
    _check_access(orderer, company)
    address = _address_for(company, address)
    if report is not None and card.state not in (S.ISSUED, S.BLOCKED):
        raise OrderRefused(
            _("Only an issued or blocked card can be reported lost or stolen."), code="state"
        )
    if report is None and card.state not in (S.LOST, S.STOLEN):
        raise OrderRefused(
            _("A new card is ordered here only in place of a card reported lost or stolen."),
            code="state",
        )
    price = _price(card.card_type)
    actor = _orderer_actor(orderer)
    old = REPORTS[report](card=card, actor=actor) if report is not None else card
    new = cards.card_replace(card=old, actor=actor)
    order = _new_order(
        company=company,
        card_type=card.card_type,
        orderer=orderer,
        contact=contact,
        kind="replacement",
        key=key,
        price=price,
        address=address,
    )
    previous = OrderLine.objects.filter(card=old).first()
    photo = previous.photo if previous else None
    if photo is None:
        photo = old.holder.photos.first()
    line = OrderLine.objects.create(
        order=order,
        card=new,
        holder=old.holder,
        unit_price_ex_vat=price.amount_ex_vat,
        photo=photo,
        identity_document=previous.identity_document if previous else None,
    )
    links: dict[int, str] = {}
    if photo is not None:
        cards.card_transition(card=new, to_state=S.AWAITING_VERIFICATION, actor=actor)
    else:
        cards.card_transition(card=new, to_state=S.AWAITING_DOCUMENTS, actor=actor)
        _link, links[line.pk] = _issue_link(line, actor=actor)
    record(
        actor=actor,
        action="order.replacement_placed" if report else "order.replacement_ordered_again",
        target=order,
        company=company,
        data={"report": report or old.state, "old_card": old.pk, "new_card": new.pk},
    )
    return OrderResult(order=order, created=True, links=links)


def card_block_employment_ended(*, card: Card, orderer: Person) -> Card:
    """The employer says the employment has ended: the card is blocked at once."""
    _check_access(orderer, card.company)
    return cards.card_block(card=card, actor=_orderer_actor(orderer), reason="employment_ended")


def describe_holder(person: Person) -> dict[str, Any]:
    return {"name": person.full_name, "national_id": mask_national_id(person.national_id)}
