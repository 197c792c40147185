"""Disclosure control engine: small-cell suppression of published counts. No Django here."""

from memoria.disclosure.suppression import (
    DEFAULT_K,
    Table,
    suppress,
    suppress_positive_series,
    suppress_series,
)

__all__ = ["DEFAULT_K", "Table", "suppress", "suppress_positive_series", "suppress_series"]
