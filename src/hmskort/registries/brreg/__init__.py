"""Enhetsregisteret (Brønnøysundregistrene): units, sub-units, roles, change feeds, bulk file.

One module per concern:

- `mapping`: a unit as the register spells it → BrregUnit's columns (and the COPY line of a row);
- `api`: the per-unit API (`/enheter/{orgnr}`, `/underenheter/{orgnr}`, open roles), look-ups;
- `feed`: the change feeds, followed from the last `oppdateringsid`;
- `bulk_file`: the bulk files, downloaded and streamed;
- `staging`: stage, compare with the stored facts in SQL, apply or hold (every run ends here).

This package's namespace is the adapter's interface (`brreg.sync_feeds`, `brreg.import_bulk`, …).
"""

from .api import base_url, fetch_roles, fetch_unit, lookup
from .bulk_file import import_bulk, iter_bulk_units, sync_bulk
from .feed import FEEDS, read_feed_page, sync_feed, sync_feeds
from .mapping import (
    COLUMNS,
    FACT_FIELDS,
    RULE_FIELDS,
    copy_body,
    copy_line,
    copy_tail,
    fact_digest,
    removed_row,
    unit_copy_line,
    unit_row,
)
from .staging import apply_held, propose, stage_and_conclude, stage_rows

__all__ = [
    "COLUMNS",
    "FACT_FIELDS",
    "FEEDS",
    "RULE_FIELDS",
    "apply_held",
    "base_url",
    "copy_body",
    "copy_line",
    "copy_tail",
    "fact_digest",
    "fetch_roles",
    "fetch_unit",
    "import_bulk",
    "iter_bulk_units",
    "lookup",
    "propose",
    "read_feed_page",
    "removed_row",
    "stage_and_conclude",
    "stage_rows",
    "sync_bulk",
    "sync_feed",
    "sync_feeds",
    "unit_copy_line",
    "unit_row",
]
