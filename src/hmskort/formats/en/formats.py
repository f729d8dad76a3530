"""Dates and times in English, the one place they are defined: 31 Oct 2028, 31 Oct 2028 14:30.

Day first and the month in letters, so nobody reads 10/11 as 11 October or 10 November."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]
