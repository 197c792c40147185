"""Write paths of the linkage review, each one transaction with its audit entry.

The audit entries name the list, run or pair by id and count records; never a
name or a value. A decision carries the version of the decision it started
from (0 for none), so two reviewers answering the same pair at once do not
silently overwrite each other: the second gets ``ConflictError``.
"""

from __future__ import annotations

import json
import math

from django.db import IntegrityError, transaction
from django.utils import timezone

from memoria.analysis.models import (
    Decision,
    Estimate,
    LinkageList,
    LinkageRun,
    PairDecision,
    ReviewPair,
)
from memoria.analysis.sources import seal_table, shared_owner
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError
from memoria.cases.io.jobs import seal, unseal
from memoria.linkage.review import Link, pair_key, reviewed_clusters, uncertainty

GRAPH_CONTEXT = "analysis.run.graph"
CLUSTERS_CONTEXT = "analysis.run.clusters"


def key_of(a: str, b: str) -> str:
    """A pair's blind key: its two fingerprints in a fixed order."""
    return ":".join(pair_key(a, b))


# -- lists ------------------------------------------------------------------------------


@transaction.atomic
def upload_list(organization, actor, name: str, table, *, request=None) -> LinkageList:
    """Keep an uploaded list (sealed) until its columns are chosen and it is linked."""
    linkage_list = LinkageList.objects.create(
        organization=organization,
        name=name,
        sealed_table=seal_table(organization.pk, table),
        row_count=len(table.rows),
        uploaded_by=actor,
    )
    audit(
        actor,
        organization,
        "linkage.list_upload",
        target=linkage_list,
        request=request,
        rows=len(table.rows),
    )
    return linkage_list


@transaction.atomic
def set_list_mapping(linkage_list: LinkageList, actor, mapping: dict, *, request=None):
    linkage_list.mapping = mapping
    linkage_list.version += 1
    linkage_list.save(update_fields=["mapping", "version"])
    audit(
        actor,
        linkage_list.organization,
        "linkage.list_columns",
        target=linkage_list,
        request=request,
        columns=sorted(mapping),
    )
    return linkage_list


@transaction.atomic
def delete_list(linkage_list: LinkageList, actor, *, request=None) -> None:
    from memoria.analysis.jobs import forget_unreadable

    organization = linkage_list.organization
    audit(actor, organization, "linkage.list_delete", target=linkage_list, request=request)
    # A failed run kept the list's values it could not read (sealed): they go too.
    for run in linkage_list.runs.exclude(job=None).select_related("job"):
        forget_unreadable(run.job, linkage_list)
    linkage_list.delete()


# -- runs -------------------------------------------------------------------------------


def start_run(
    organization,
    actor,
    include_cases: bool,
    lists,
    key: str,
    language: str,
    *,
    request=None,
    again_of: LinkageRun | None = None,
    partners=(),
):
    """Create a run over the chosen sources and queue its job (one per ``key``).

    The job passes the organization's answers so far to the engine, which
    learns from them (``memoria.analysis.jobs.run_answers``); ``again_of``
    is the run this one repeats, for the audit entry."""
    from memoria.analysis.jobs import queue_linkage

    with transaction.atomic():
        run = LinkageRun.objects.create(
            organization=organization, created_by=actor, include_cases=include_cases
        )
        run.lists.set(lists)
        run.partners.set(partners)
        job = queue_linkage(run, actor, key, language)
        if job.payload.get("run") == run.pk:
            run.job = job
            run.save(update_fields=["job"])
            audit(
                actor,
                organization,
                "linkage.run",
                target=run,
                request=request,
                cases=include_cases,
                lists=len(lists),
                partners=[partner.pk for partner in partners],
                **({"again_of": again_of.pk} if again_of is not None else {}),
            )
            return run
        # The same form sent twice: keep the first run (read once this block is undone).
        transaction.set_rollback(True)
    return LinkageRun.objects.get(pk=job.payload["run"])


def run_again(run: LinkageRun, actor, key: str, language: str, *, request=None) -> LinkageRun:
    """A new run over ``run``'s sources (those still there), learning from every answer so far."""
    return start_run(
        run.organization,
        actor,
        run.include_cases,
        list(run.lists.order_by("pk")),
        key,
        language,
        request=request,
        again_of=run,
        partners=list(run.partners.order_by("pk")),
    )


def save_run_result(run: LinkageRun, sources, result, actor=None) -> dict:
    """Store what the engine found (called by the job's handler, in its transaction)."""
    shown = {}
    labels = {}
    for source in sources:
        shown.update(source.shown)
        labels[source.name] = source.label
    pairs = result.pairs.copy()
    threshold = result.summary.get("threshold", 0.9)
    pairs["held_back"] = (pairs["match_probability"] >= threshold) & ~pairs["linked"]
    records = [
        [str(record_id), str(source)]
        for source, record_id in zip(
            result.clusters["source"], result.clusters["record_id"], strict=True
        )
    ]
    links = [
        [_fp(a), _fp(b), round(float(p), 6), bool(linked), bool(held)]
        for a, b, p, linked, held in zip(
            pairs["unique_id_l"],
            pairs["unique_id_r"],
            pairs["match_probability"],
            pairs["linked"],
            pairs["held_back"],
            strict=True,
        )
    ]
    graph = {"records": records, "links": links, "sources": labels}
    run.sealed_graph = seal(run.organization_id, graph, GRAPH_CONTEXT)
    held_keys = {key_of(a, b) for a, b, *_rest, held in links if held}
    review = result.review
    rows = []
    for row in review.itertuples(index=False):
        a = str(row.record_id_l)
        b = str(row.record_id_r)
        held = key_of(a, b) in held_keys
        details = {
            "left": shown.get(a, {}),
            "right": shown.get(b, {}),
            "evidence": json.loads(row.evidence),
            "left_key": a,
            "right_key": b,
        }
        if key_of(a, b) != ":".join((a, b)):
            details["left"], details["right"] = details["right"], details["left"]
            details["left_key"], details["right_key"] = b, a
        rows.append(
            ReviewPair(
                run=run,
                organization_id=run.organization_id,
                pair_key=key_of(a, b),
                match_probability=float(row.match_probability),
                match_weight=_finite(row.match_weight),
                held_back=bool(held),
                uncertainty=uncertainty(float(row.match_probability), bool(held)),
                details=details,
            )
        )
    ReviewPair.objects.bulk_create(rows, batch_size=500)
    run.summary = {
        "records": int(result.summary.get("records", len(records))),
        "linked_pairs": int(result.summary.get("linked_pairs", 0)),
        "review_pairs": len(rows),
        "held_back_pairs": int(result.summary.get("held_back_pairs", 0)),
        "clusters_before_review": int(
            result.summary.get("clusters_before_answers", result.summary.get("clusters", 0))
        ),
        # Answers the model learned its m probabilities from (docs/review.md).
        "learned_from": _answers_learned(result.summary.get("learned_from")),
        # Full names whose order their words do not decide, compared both ways.
        "names_read_both_ways": int(result.summary.get("names_read_both_ways") or 0),
        # Counts by source (the engine's name) and column of what the engine read
        # as unknown: impossible or unreadable dates, placeholders ("N/D", 1900-01-01).
        "read_as_unknown": {
            kind: (result.summary.get("input") or {}).get(kind) or {}
            for kind in ("invalid_dates", "placeholders")
        },
        # How many people each partner shared with a name or a CURP (the linkage
        # page counts, without reading the copies, those their agreements could).
        "shared_people": {
            str(shared_owner(source.name)): len(source.frame)
            for source in sources
            if shared_owner(source.name) is not None
        },
    }
    _rebuild_clusters(run, graph)
    run.save()
    audit(actor, run.organization, "linkage.run_done", target=run, **run.summary)
    return run.summary


def _answers_learned(learned) -> int:
    if not learned:
        return 0
    return int(learned.get("same", 0)) + int(learned.get("different", 0))


def _fp(unique_id) -> str:
    return str(unique_id).split(":", 1)[1]


def _finite(value) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def run_graph(run: LinkageRun) -> dict:
    return unseal(run.sealed_graph, GRAPH_CONTEXT)


def run_clusters(run: LinkageRun) -> dict:
    """``{"clusters": {fingerprint: number}, "histories": [...], "lists": [...]}``."""
    return unseal(run.sealed_clusters, CLUSTERS_CONTEXT) if run.sealed_clusters else {}


def organization_decisions(organization_id) -> dict:
    """Every answer of the organization's reviewers: ``{(a, b): decision}``."""
    return {
        tuple(d.pair_key.split(":", 1)): d.decision
        for d in PairDecision.objects.filter(organization_id=organization_id)
    }


def _rebuild_clusters(run: LinkageRun, graph: dict | None = None) -> None:
    """The run's clusters with every decision of the organization applied (not saved)."""
    graph = graph or run_graph(run)
    records = [fingerprint for fingerprint, _source in graph["records"]]
    source_of = dict(graph["records"])
    links = [Link(a, b, p, linked, held) for a, b, p, linked, held in graph["links"]]
    reviewed = reviewed_clusters(records, links, organization_decisions(run.organization_id))
    names = list(graph["sources"])
    histories = reviewed.capture_histories(source_of, names)
    run.sealed_clusters = seal(
        run.organization_id,
        {
            "clusters": reviewed.clusters,
            "lists": [graph["sources"][n] for n in names],
            "histories": histories[names].to_numpy().tolist(),
        },
        CLUSTERS_CONTEXT,
    )
    keys = set(ReviewPair.objects.filter(run=run).values_list("pair_key", flat=True))
    decided = PairDecision.objects.filter(
        organization_id=run.organization_id, pair_key__in=keys
    ).exclude(decision=Decision.UNSURE)
    run.summary = {
        **run.summary,
        "clusters": len(set(reviewed.clusters.values())),
        "decided": decided.count(),
        "refused": reviewed.refused,
    }


@transaction.atomic
def decide_pair(pair: ReviewPair, actor, decision: str, version: int, *, request=None):
    """Record a reviewer's answer about a pair and rebuild the run's clusters at once.

    ``version`` is the version of the pair's decision the reviewer saw (0 if
    none); a stale one raises ``ConflictError`` and writes nothing.
    """
    if decision not in Decision.values:
        raise ValueError(f"unknown decision {decision!r}")
    current = (
        PairDecision.objects.select_for_update(no_key=True)
        .filter(organization_id=pair.organization_id, pair_key=pair.pair_key)
        .first()
    )
    if current is not None and current.version != version:
        raise ConflictError(current, [])
    if current is None:
        try:
            with transaction.atomic():  # a savepoint: the first answer may be racing another
                current = PairDecision.objects.create(
                    organization_id=pair.organization_id,
                    pair_key=pair.pair_key,
                    decision=decision,
                    decided_by=actor,
                )
        except IntegrityError:
            # Someone answered first, after the row was looked for: a stale answer.
            other = PairDecision.objects.get(
                organization_id=pair.organization_id, pair_key=pair.pair_key
            )
            raise ConflictError(other, []) from None
    else:
        current.decision = decision
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.version += 1
        current.save()
    run = LinkageRun.objects.select_for_update(no_key=True).get(pk=pair.run_id)
    _rebuild_clusters(run)
    run.version += 1
    run.save(update_fields=["sealed_clusters", "summary", "version"])
    audit(
        actor,
        pair.organization,
        "linkage.decide",
        target=pair,
        request=request,
        decision=decision,
        run=run.pk,
        probability=round(pair.match_probability, 3),
    )
    return current


# -- estimates --------------------------------------------------------------------------


def start_estimate(run: LinkageRun, actor, settings, key: str, language: str, *, request=None):
    """Create an estimate over ``run``'s reviewed clusters and queue its job (one per ``key``)."""
    from memoria.analysis.jobs import queue_estimate

    with transaction.atomic():
        estimate = Estimate.objects.create(
            organization_id=run.organization_id,
            run=run,
            created_by=actor,
            options=settings.to_dict(),
        )
        job = queue_estimate(estimate, actor, key, language)
        if job.payload.get("estimate") == estimate.pk:
            estimate.job = job
            estimate.save(update_fields=["job"])
            audit(
                actor,
                run.organization,
                "estimation.start",
                target=estimate,
                request=request,
                run=run.pk,
                methods=list(settings.methods),
                strata=settings.strata,
                chains=settings.chains,
                iterations=settings.iterations,
                criterion=settings.criterion,
            )
            return estimate
        transaction.set_rollback(True)  # the same form sent twice: keep the first estimate
    return Estimate.objects.get(pk=job.payload["estimate"])


def save_estimate(estimate: Estimate, table: dict, print_: str, report: dict, actor=None):
    """Store an estimate's result (called by the job's handler, in its transaction).

    An earlier finished estimate of the organization with the same fingerprint
    had the same inputs: this one says whether it gave the same figures.
    """
    from memoria.analysis.estimation import ENGINE_VERSION, figures

    earlier = (
        Estimate.objects.filter(organization_id=estimate.organization_id, fingerprint=print_)
        .exclude(pk=estimate.pk)
        .order_by("pk")
        .first()
    )
    estimate.fingerprint = print_
    estimate.engine_version = ENGINE_VERSION
    estimate.result = {"table": table, "report": report}
    if earlier is not None:
        estimate.reproduces = earlier
        estimate.reproduced = figures(earlier.result["report"]) == figures(report)
    estimate.version += 1
    estimate.save()
    audit(
        actor,
        estimate.organization,
        "estimation.done",
        target=estimate,
        run=estimate.run_id,
        observed=int(report.get("observed", 0)),
        reproduces=earlier.pk if earlier else None,
        reproduced=estimate.reproduced,
    )
    return estimate
