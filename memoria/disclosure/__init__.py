"""Disclosure control engine: small-cell suppression of published counts. No Django here."""

from memoria.disclosure.suppression import Table, suppress, suppress_series

__all__ = ["Table", "suppress", "suppress_series"]
