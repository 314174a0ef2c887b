# English as used in Europe: day first, 24-hour clock.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d M Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "d M Y, H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1
