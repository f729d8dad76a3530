"""Request and response shapes of the API, with the examples OpenAPI shows integrators."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import ConfigDict, Field


class Error(Schema):
    detail: str = Field(description="What went wrong, in the language of Accept-Language (nb/en).")
    code: str = Field(description="Stable machine-readable code.")

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
