"""Multiple systems estimation: how many victims did no list record?

Pure Python (no Django). Typical use from a notebook::

    from memoria.mse import read_capture_table, select_model, fit_loglinear, sample_lcmcr

    table = read_capture_table("lists.csv")[None]
    chosen = select_model(table, "stepwise").model
    model = fit_loglinear(table, chosen.pairs)
    model.estimate, model.profile_interval(), model.terms

    posterior = sample_lcmcr(table, LcmcrSettings(seed=1))
    posterior.median, posterior.interval()

:func:`estimate_population` runs everything behind ``memoria estimate``.
"""

from memoria.mse.bootstrap import BootstrapResult, bootstrap_interval
from memoria.mse.diagnostics import ess_bulk, ess_tail, rhat
from memoria.mse.estimate import EstimateOptions, estimate_population
from memoria.mse.lcmcr import LcmcrResult, LcmcrSettings, sample_lcmcr
from memoria.mse.loglinear import (
    LoglinearFit,
    ModelNotEstimable,
    check_model,
    fit_loglinear,
    parse_terms,
)
from memoria.mse.selection import Selection, select_model
from memoria.mse.tables import (
    CaptureTable,
    CaptureTableError,
    MseWarning,
    read_capture_table,
    table_from_arrays,
    table_from_frame,
)

__all__ = [
    "BootstrapResult",
    "CaptureTable",
    "CaptureTableError",
    "EstimateOptions",
    "LcmcrResult",
    "LcmcrSettings",
    "LoglinearFit",
    "ModelNotEstimable",
    "MseWarning",
    "Selection",
    "bootstrap_interval",
    "check_model",
    "ess_bulk",
    "ess_tail",
    "estimate_population",
    "fit_loglinear",
    "parse_terms",
    "read_capture_table",
    "rhat",
    "sample_lcmcr",
    "select_model",
    "table_from_arrays",
    "table_from_frame",
]
