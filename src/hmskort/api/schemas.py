"""Request and response shapes of the API, with the examples OpenAPI shows integrators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field


class Error(Schema):
    detail: str = Field(description="What went wrong, in the language of Accept-Language (nb/en).")
    code: str = Field(description="Stable machine-readable code.")
    errors: list[dict] | None = Field(
        default=None, description="For `invalid_request`: each field that is not valid."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"detail": "No card has this number.", "code": "not_found"}]
        }
    )


class Ping(Schema):
    status: str = Field(examples=["ok"])
    api_version: str = Field(examples=["1"])


class CardOut(Schema):
    card_number: str = Field(description="12 digits, no spaces.", examples=["123456789012"])
    valid: bool = Field(description="Whether the card is valid right now.")
    state: str = Field(
        description=(
            "Life-cycle state: ordered, awaiting_documents, awaiting_verification, approved, "
            "in_production, issued, lost, stolen, blocked, terminated, replaced, rejected."
        ),
        examples=["issued"],
    )
    card_type: str = Field(description="Card scheme code.", examples=["construction"])
    card_type_name: str = Field(examples=["HMS-kort for bygg og anlegg"])
    holder_name: str = Field(examples=["Kari Nordmann"])
    employer_name: str = Field(examples=["Bygg og Anlegg AS"])
    employer_orgnr: str = Field(examples=["912345678"])
    expires_on: dt.date | None = Field(examples=["2028-05-31"])
    checked_at: dt.datetime = Field(description="When the register was read (UTC).")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "card_number": "123456789012",
                    "valid": True,
                    "state": "issued",
                    "card_type": "construction",
                    "card_type_name": "HMS-kort for bygg og anlegg",
                    "holder_name": "Kari Nordmann",
                    "employer_name": "Bygg og Anlegg AS",
                    "employer_orgnr": "912345678",
                    "expires_on": "2028-05-31",
                    "checked_at": "2026-11-29T07:01:02Z",
                }
            ]
        }
    )


CardNumberIn = Annotated[str, Field(max_length=40)]


class CheckRequest(Schema):
    card_numbers: list[CardNumberIn] = Field(
        min_length=1,
        max_length=1000,
        description="1 to 1000 card numbers; spaces and dashes are ignored.",
    )
    subscribe: bool = Field(
        default=False,
        description=(
            "Also subscribe this key's webhook to every card found, so you are told when one "
            "changes validity."
        ),
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"card_numbers": ["123456789012", "2345 6789 0123"], "subscribe": True}]
        }
    )


class CheckResult(Schema):
    input: str = Field(description="The number as sent.")
    card_number: str | None = Field(description="12 digits, or null when malformed.")
    found: bool
    error: str | None = Field(
        description="null, or `length` / `check_digit` (malformed) or `not_found`."
    )
    message: str | None = Field(description="The error in words (Accept-Language).")
    valid: bool = Field(description="True only for a card found and valid right now.")
    state: str | None
    card_type: str | None
    holder_name: str | None
    birth_date: dt.date | None
    employer_name: str | None
    employer_orgnr: str | None
    expires_on: dt.date | None


class CheckResponse(Schema):
    checked_at: dt.datetime
    count: int
    results: list[CheckResult]
    subscribed: int | None = Field(
        description=(
            "New webhook subscriptions made by this request; null when not asked for, or when "
            "the register is read-only for maintenance (check again later to subscribe)."
        )
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "checked_at": "2026-11-29T07:01:02Z",
                    "count": 2,
                    "subscribed": 1,
                    "results": [
                        {
                            "input": "123456789012",
                            "card_number": "123456789012",
                            "found": True,
                            "error": None,
                            "message": None,
                            "valid": True,
                            "state": "issued",
                            "card_type": "construction",
                            "holder_name": "Kari Nordmann",
                            "birth_date": "1985-04-12",
                            "employer_name": "Bygg og Anlegg AS",
                            "employer_orgnr": "912345678",
                            "expires_on": "2028-05-31",
                        },
                        {
                            "input": "2345 6789 0124",
                            "card_number": None,
                            "found": False,
                            "error": "check_digit",
                            "message": "This is not a valid card number: one digit is probably "
                            "mistyped. Check the number on the card and try again.",
                            "valid": False,
                            "state": None,
                            "card_type": None,
                            "holder_name": None,
                            "birth_date": None,
                            "employer_name": None,
                            "employer_orgnr": None,
                            "expires_on": None,
                        },
                    ],
                }
            ]
        }
    )


class WebhookIn(Schema):
    url: str = Field(max_length=500, examples=["https://crewlist.example.com/hooks/hmskort"])


class WebhookSecretOut(Schema):
    url: str
    secret: str = Field(description="Signing secret: shown once. Keep it on your server.")


class WebhookOut(Schema):
    url: str | None
    subscriptions: int


class SubscribeRequest(Schema):
    card_numbers: list[CardNumberIn] = Field(min_length=1, max_length=1000)


class SubscribeResponse(Schema):
    subscribed: int = Field(description="New subscriptions.")
    not_found: list[str] = Field(description="Numbers that are malformed or match no card.")


class DeliveryOut(Schema):
    event_id: str
    event_type: str
    card_number: str | None
    status: str = Field(description="pending, delivered or failed (gave up).")
    attempts: int
    last_status_code: int | None
    last_error: str
    last_attempt_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    payload: dict


class DeliveryPage(Schema):
    count: int
    items: list[DeliveryOut]
