"""Test data factories shared by every test module. Valid identifiers by construction."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.cards.models import Card, CardState, CardType
from hmskort.cards.numbers import new_card_number, new_qr_token
from hmskort.cards.signals import CardValidityChange
from hmskort.companies.models import Company, DeliveryAddress, Role
from hmskort.companies.services import delivery_address_add
from hmskort.orders.models import Invoice, Order
from hmskort.people.models import Employment, Person
from hmskort.registries.models import BrregUnit, CleaningApproval, StaffingApproval

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def national_id_for(birth_date: dt.date, serial: int = 0, *, d_number: bool = False) -> str:
    """A valid fødselsnummer (or D-number) for a birth date.

    Different serials give different numbers (modulo the number of valid individual numbers
    for that date, a few hundred): serial picks the serial-th valid individual number.
    """
    valid = _valid_national_ids(birth_date, d_number)
    if not valid:
        raise ValueError("no valid number for that date")
    return valid[serial % len(valid)]


@functools.cache
def _valid_national_ids(birth_date: dt.date, d_number: bool) -> tuple[str, ...]:
    day = birth_date.day + (40 if d_number else 0)
    yy = birth_date.year % 100
    individuals = range(500, 1000) if birth_date.year >= 2000 else range(0, 500)
    found = []
    for individual in individuals:
        digits = [int(c) for c in f"{day:02d}{birth_date.month:02d}{yy:02d}{individual:03d}"]
        k1 = (11 - sum(w * d for w, d in zip(_W1, digits)) % 11) % 11
        if k1 == 10:
            continue
        digits.append(k1)
        k2 = (11 - sum(w * d for w, d in zip(_W2, digits)) % 11) % 11
        if k2 == 10:
            continue
        digits.append(k2)
        found.append("".join(map(str, digits)))
    return tuple(found)


def orgnr_for(serial: int) -> str:
    """A valid organisation number, distinct for each serial (9 followed by 7 digits + check).

    Of two consecutive bodies at most one has the impossible check digit 10, so serial*2 or
    serial*2+1 always works, and different serials never share a pair.
    """
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    for n in (serial * 2, serial * 2 + 1):
        body = f"9{n % 10**7:07d}"
        r = 11 - sum(w * int(d) for w, d in zip(weights, body)) % 11
        check = 0 if r == 11 else r
        if check != 10:
            return body + str(check)
    raise AssertionError("unreachable")


_person_serial = itertools.count()
_company_serial = itertools.count(1000)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("orgnr",)

    orgnr = factory.LazyFunction(lambda: orgnr_for(next(_company_serial)))
    name = factory.Sequence(lambda n: f"Bygg og Anlegg {n} AS")
    organisation_form = "AS"
    card_type = factory.LazyFunction(lambda: CardType.objects.get(code="construction"))


class SubUnitFactory(CompanyFactory):
    organisation_form = "BEDR"
    parent = factory.SubFactory(CompanyFactory)
    card_type = None


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    birth_date = factory.Sequence(lambda n: dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28))
    national_id = factory.LazyAttribute(
        lambda o: national_id_for(o.birth_date, next(_person_serial) % 400)
    )
    given_name = factory.Sequence(lambda n: f"Kari{n}")
    family_name = "Nordmann"


class EmploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employment

    person = factory.SubFactory(PersonFactory)
    employer = factory.SubFactory(CompanyFactory)
    main_unit = factory.LazyAttribute(lambda o: o.employer.parent or o.employer)
    starts_on = dt.date(2020, 1, 1)
    ends_on = None
    source = Employment.Source.AAREG
    read_at = factory.LazyFunction(timezone.now)


class CardFactory(factory.django.DjangoModelFactory):
    """A card as stored; `valid` and `reasons` are what the recompute last wrote."""

    class Meta:
        model = Card

    number = factory.LazyFunction(new_card_number)
    qr_token = factory.LazyFunction(new_qr_token)
    card_type = factory.LazyFunction(lambda: CardType.objects.get(code="construction"))
    holder = factory.SubFactory(PersonFactory)
    company = factory.SubFactory(CompanyFactory)
    state = CardState.ISSUED
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    expires_on = factory.LazyAttribute(
        lambda o: o.issued_on.replace(year=o.issued_on.year + 2) if o.issued_on else None
    )
    valid = True
    reasons = factory.LazyFunction(list)
    validity_changed_at = factory.LazyFunction(timezone.now)


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    company = factory.SubFactory(CompanyFactory)
    national_id = factory.LazyFunction(
        lambda: national_id_for(dt.date(1970, 5, 17), next(_person_serial) % 400)
    )
    code = "DAGL"
    holder_name = "Ola Nordmann"
    source = "local"
    read_at = factory.LazyFunction(timezone.now)


class BrregUnitFactory(factory.django.DjangoModelFactory):
    """A unit as read from Enhetsregisteret; by default alive and in the VAT register."""

    class Meta:
        model = BrregUnit
        django_get_or_create = ("orgnr",)

    orgnr = factory.LazyFunction(lambda: orgnr_for(next(_company_serial)))
    name = factory.Sequence(lambda n: f"Enhet {n} AS")
    organisation_form = "AS"
    registered_in_vat = True
    read_at = factory.LazyFunction(timezone.now)


class CleaningApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CleaningApproval
        django_get_or_create = ("orgnr",)

    orgnr = factory.LazyFunction(lambda: orgnr_for(next(_company_serial)))
    status = CleaningApproval.Status.APPROVED_WITH_EMPLOYEES
    read_at = factory.LazyFunction(timezone.now)


class StaffingApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffingApproval
        django_get_or_create = ("orgnr",)

    orgnr = factory.LazyFunction(lambda: orgnr_for(next(_company_serial)))
    status = "Godkjent"
    approved = True
    read_at = factory.LazyFunction(timezone.now)


def registered_company(**kwargs) -> Company:
    """A main unit whose registration duties are met: found in Enhetsregisteret, VAT registered."""
    company = CompanyFactory(**kwargs)
    BrregUnitFactory(
        orgnr=company.orgnr, name=company.name, organisation_form=company.organisation_form
    )
    return company


def employed_person(company: Company, **kwargs) -> Person:
    """A person with an employment in force with `company` (a sub-unit or a main unit)."""
    person = PersonFactory(**kwargs)
    EmploymentFactory(person=person, employer=company)
    return person


def delivery_address(company: Company, **values: str) -> DeliveryAddress:
    """A delivery address of the company (Byggveien 2, 0150 Oslo, to the company, unless told
    otherwise), added through the service as the portal adds one."""
    fields = {
        "recipient": company.name,
        "street": "Byggveien 2",
        "postcode": "0150",
        "city": "Oslo",
        **values,
    }
    return delivery_address_add(company=company, actor=Actor.system("test"), **fields)


def validity_change(card: Card, *, valid: bool = False) -> CardValidityChange:
    """What `cards.signals.card_validity_changed` announces for the card, now."""
    return CardValidityChange(
        card_id=card.pk,
        number=card.number,
        valid=valid,
        reasons=tuple(card.reasons),
        at=timezone.now(),
    )


class OrderFactory(factory.django.DjangoModelFactory):
    """An order as stored, with no lines (how one is placed: `orders.services.order_place`)."""

    class Meta:
        model = Order

    company = factory.SubFactory(CompanyFactory)
    card_type = factory.LazyFunction(lambda: CardType.objects.get(code="construction"))
    ordered_by = factory.SubFactory(PersonFactory)
    ordered_by_name = factory.LazyAttribute(lambda o: o.ordered_by.full_name)
    idempotency_key = factory.Sequence(lambda n: f"factory-order-{n:08d}")
    unit_price_ex_vat = Decimal("104.00")
    vat_rate = Decimal("0.250")
    delivery_recipient = "Test"
    delivery_street = "Gata 1"
    delivery_postcode = "0150"
    delivery_city = "Oslo"


# The issuer as an invoice records it (`orders.invoicing` copies it from the settings).
SELLER = {
    "name": "Utsteder",
    "orgnr": "910000004",
    "vat_number": "NO910000004MVA",
    "street": "Gata 1",
    "postcode": "0150",
    "city": "Oslo",
    "country": "NO",
    "account": "",
}


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An invoice of one card as stored, with no lines (how one is made:
    tests/orders/test_invoicing.py)."""

    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: n + 1)
    order = factory.SubFactory(OrderFactory)
    company = factory.LazyAttribute(lambda o: o.order.company)
    issue_date = factory.LazyFunction(timezone.localdate)
    due_date = factory.LazyAttribute(lambda o: o.issue_date)
    vat_rate = Decimal("0.250")
    net_amount = Decimal("104.00")
    vat_amount = Decimal("26.00")
    gross_amount = Decimal("130.00")
    buyer_orgnr = factory.LazyAttribute(lambda o: o.company.orgnr)
    buyer_name = factory.LazyAttribute(lambda o: o.company.name)
    seller = factory.LazyFunction(lambda: dict(SELLER))
    created_by = "test"
