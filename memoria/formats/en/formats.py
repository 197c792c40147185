"""English formats: Django's, with times as "1:50 AM".

Django's "P" writes "1:50 a.m.", and a sentence that ends with a time then
ends in "a.m.." ("Last change by Ana on Dec. 3, 2026, 1:50 a.m..").
"""

from django.conf.locale.en.formats import *  # noqa: F403

TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "N j, Y, g:i A"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
