"""Geography engine: the INEGI catalogue of states and municipalities with
Census 2020 population. No Django here; the ``places`` app loads it."""

from memoria.geo.catalogue import (
    MunicipalityRecord,
    StateRecord,
    fold,
    load_municipalities,
    load_states,
    state_as_code,
    state_code,
)

__all__ = [
    "MunicipalityRecord",
    "StateRecord",
    "fold",
    "load_municipalities",
    "load_states",
    "state_as_code",
    "state_code",
]
