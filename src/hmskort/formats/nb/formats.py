"""Dates and times in bokmål, the one place they are defined: 31.10.2028, 31.10.2028 kl. 14.30.

Templates use the named formats (`|date:"DATE_FORMAT"`, `"DATETIME_FORMAT"`); Django's own
nb formats fill in the rest (input formats, number separators)."""

DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = r"d.m.Y \k\l. H.i"
SHORT_DATETIME_FORMAT = r"d.m.Y \k\l. H.i"
TIME_FORMAT = "H.i"
