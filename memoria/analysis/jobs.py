"""A linkage run as a background job (``memoria worker``).

``prepare`` (outside the job's transaction) reads the sources, decrypting
them in the worker's memory only, and runs the linkage engine
(``memoria.linkage.link_records``), reporting each step as progress. The
organization's earlier answers about pairs of these records go to the
engine too: the model learns its m probabilities from them
(``memoria.linkage.learning``). The
handler then writes, in the transaction that marks the job done: the pairs to
review (encrypted), the run's sealed graph and clusters (the reviewers'
earlier decisions applied), and the audit entry.
"""

from __future__ import annotations

import math
import re

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from memoria.analysis.models import CASES_SOURCE, LinkageRun
from memoria.analysis.progress import SOURCES, stored
from memoria.cases.io.jobs import seal, unseal
from memoria.jobs.queue import enqueue
from memoria.jobs.registry import PermanentJobError, job_handler

LINKAGE = "analysis.linkage"
# The engine's steps (memoria.linkage.pipeline): progress counts them.
STEPS = 10
PROBLEMS_CONTEXT = "analysis.linkage.problems"
#: The engine's name for an uploaded list's source ("list<id>", memoria.analysis.sources).
UPLOADED_SOURCE = re.compile(r"list(\d+)")
#: The unreadable values a failed run keeps (sealed) to show.
MAX_UNREADABLE = 50


def queue_linkage(run: LinkageRun, actor, key: str, language: str):
    """Queue the linkage of ``run``'s sources; the same ``key`` gives back the same job."""
    return enqueue(
        LINKAGE,
        f"{LINKAGE}:{run.organization_id}:{key}",
        organization=run.organization,
        created_by=actor,
        payload={"run": run.pk, "language": language},
        max_attempts=2,
    )


def run_sources(run: LinkageRun, *, shared: bool = True) -> list:
    """The run's sources as the engine reads them; ``shared=False`` leaves out the
    partners' people (read, and audited, only when they are needed)."""
    from memoria.analysis.sources import cases_source, list_source, shared_source
    from memoria.sharing.actions import audit_shared_read

    sources = []
    if run.include_cases:
        sources.append(cases_source(run.organization, _("Cases of the organization")))
    for linkage_list in run.lists.order_by("pk"):
        sources.append(list_source(linkage_list))
    partners = list(run.partners.order_by("pk")) if shared else []
    if partners and not _may_still_run(run):
        raise PermanentJobError(
            _(
                "The person who started this run can no longer run analyses in this "
                "organization: the people other organizations share were not read."
            )
        )
    for owner in partners:
        label = _("Shared by %(organization)s") % {"organization": owner.name}
        source = shared_source(run.organization, owner, label)
        if len(source.frame):  # nothing is shared any more: no list
            # Both logs say the run read the partner's people: once, with how many.
            audit_shared_read(run.created_by, owner, run.organization, run,
                              kind="cases.person", people=len(source.frame),
                              linkage_run=run.pk)  # fmt: skip
            sources.append(source)
    return sources


def _may_still_run(run: LinkageRun) -> bool:
    """Whether the run's creator still may run analyses in its organization: a role
    lowered or a member removed while the job waited must not read what partners share."""
    from memoria.accounts.models import Membership
    from memoria.accounts.roles import Capability

    if run.created_by is None or not run.created_by.is_active:
        return False
    membership = Membership.objects.filter(
        user_id=run.created_by_id, organization_id=run.organization_id
    ).first()
    return membership is not None and membership.can(Capability.RUN_ANALYSES)


def run_answers(run: LinkageRun, sources) -> dict[tuple[str, str], str]:
    """The organization's answers about pairs of the run's records, as the
    engine takes them (pairs of ``source:fingerprint``): they teach the model
    (m probabilities) and are applied to the clusters."""
    from memoria.analysis.models import PairDecision

    unique = {}
    for source in sources:
        for fingerprint in source.frame["record_id"]:
            unique[str(fingerprint)] = f"{source.name}:{fingerprint}"
    answers = {}
    decided = PairDecision.objects.filter(organization_id=run.organization_id)
    for pair_key, decision in decided.values_list("pair_key", "decision"):
        a, _sep, b = pair_key.partition(":")
        if a in unique and b in unique:
            answers[(unique[a], unique[b])] = decision
    return answers


def _in_language(prepare):
    """Run a job's ``prepare`` in the language of whoever started it (the worker's own
    is the default, Spanish): its messages and the names it gives are theirs."""

    def prepared(job, context):
        with translation.override(job.payload.get("language") or None):
            return prepare(job, context)

    prepared.__name__ = prepare.__name__
    return prepared


@_in_language
def _link(job, context):
    from memoria.linkage import InputError, link_records

    run = LinkageRun.objects.select_related("organization").get(pk=job.payload["run"])
    sources = run_sources(run)
    if not sources or sum(len(s.frame) for s in sources) < 2:
        raise PermanentJobError(_("There are not enough records to link."))
    steps = {"done": 0}

    def progress(_message: str) -> None:
        steps["done"] = min(steps["done"] + 1, STEPS - 1)
        context.progress("link", steps["done"], STEPS)

    context.progress("link", 0, STEPS)
    try:
        result = link_records(
            {source.name: source.frame for source in sources},
            progress=progress,
            count_candidates=False,
            max_pairs_u=2e5,
            labels=run_answers(run, sources),
        )
    except InputError as error:
        problems = unreadable(sources, error.problems)
        context.output = seal(run.organization_id, problems[:MAX_UNREADABLE], PROBLEMS_CONTEXT)
        # Kept in clear: an uploaded list by its number, its name being encrypted.
        raise PermanentJobError(unreadable_message(problems, named=False)) from error
    except ValueError as error:  # the engine found too little to learn from
        raise PermanentJobError(
            _("The lists are too small or too alike to train the model.")
        ) from error
    return sources, result


def unreadable(sources, problems) -> list[dict]:
    """The values the engine could not read, with the rows the user sees in the file
    (the engine counts its own rows from 1). Sealed in the failed job's output:
    a value may be anything the file holds, a name too."""
    by_name = {source.name: source for source in sources}
    found = []
    for problem in problems:
        source = by_name.get(problem.source)
        row = None
        if source is not None and 0 < problem.row <= len(source.frame):
            fingerprint = source.frame["record_id"].iloc[problem.row - 1]
            row = source.shown.get(fingerprint, {}).get("row")
        found.append(
            {
                "source": problem.source,
                "list": source.label if source is not None else problem.source,
                "column": problem.column,
                "row": row,
                "value": problem.value,
            }
        )
    return found


def unreadable_message(problems: list[dict], *, named: bool = True) -> str:
    """Why a linkage failed on ``problems``: the job's error (``named=False``: kept in
    clear, no list's name) or, from the sealed problems, the run's page."""
    return _("Some values cannot be read (%(where)s). Fix the list or its columns.") % {
        "where": where_unreadable(problems, named=named) or str(len(problems))
    }


def where_unreadable(problems: list[dict], *, named: bool = True) -> str:
    """Which lists, columns and rows hold the values that cannot be read (no values:
    this goes in the job's error, which is kept in clear; there ``named=False`` gives
    an uploaded list by its number, as its name is encrypted)."""
    from memoria.analysis.sources import LIST_LABELS

    rows: dict[tuple[str, str], list] = {}
    for problem in problems:
        label = problem["list"]
        number = UPLOADED_SOURCE.fullmatch(str(problem.get("source", "")))
        if not named and number:
            label = _("list #%(number)s") % {"number": number.group(1)}
        rows.setdefault((label, problem["column"]), []).append(problem["row"])
    places = []
    for (label, column), numbers in list(rows.items())[:10]:
        numbers = sorted({n for n in numbers if n is not None})
        field = LIST_LABELS.get(column, column)
        if not numbers:
            places.append(f"{label}: {field}")
            continue
        shown = ", ".join(str(n) for n in numbers[:5]) + ("…" if len(numbers) > 5 else "")
        text = ngettext("row %(rows)s", "rows %(rows)s", len(numbers)) % {"rows": shown}
        places.append(f"{label}: {field}, {text}")
    return "; ".join(places)


def linkage_problems(job) -> list[dict]:
    """What a failed linkage could not read (unsealed from its output), for its page."""
    from memoria.analysis.sources import LIST_LABELS
    from memoria.jobs.models import JobData

    data = JobData.objects.filter(job_id=job.pk).first()
    if data is None or not data.sealed_output:
        return []
    problems = unseal(data.sealed_output, PROBLEMS_CONTEXT)
    return [
        {**problem, "field": str(LIST_LABELS.get(problem["column"], ""))} for problem in problems
    ]


def forget_unreadable(job, linkage_list) -> None:
    """Drop from a failed linkage's sealed output the values of ``linkage_list``
    (deleted: its rows "cannot be brought back"). Outputs from before the problems
    carried their source name their list by its name."""
    from memoria.jobs.models import JobData

    if job.status != job.Status.FAILED or job.kind != LINKAGE:
        return
    data = JobData.objects.filter(job_id=job.pk).first()
    if data is None or not data.sealed_output:
        return
    problems = unseal(data.sealed_output, PROBLEMS_CONTEXT)
    source = f"list{linkage_list.pk}"
    kept = [
        problem
        for problem in problems
        if problem.get("source", source if problem["list"] == linkage_list.name else "") != source
    ]
    if len(kept) < len(problems):
        data.sealed_output = (
            seal(linkage_list.organization_id, kept, PROBLEMS_CONTEXT) if kept else ""
        )
        data.save(update_fields=["sealed_output"])


def _fingerprint(unique_id: str) -> str:
    return str(unique_id).split(":", 1)[1]


def _number(value) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


@job_handler(LINKAGE, prepare=_link)
def _write_run(job, context) -> dict:
    """The pairs to review, the sealed graph and clusters, and the audit entry."""
    from memoria.analysis.actions import save_run_result

    sources, result = context.prepared
    run = LinkageRun.objects.select_related("organization").get(pk=job.payload["run"])
    summary = save_run_result(run, sources, result, actor=job.created_by)
    return {"run": run.pk, **summary}


ESTIMATE = "analysis.estimate"


def queue_estimate(estimate, actor, key: str, language: str):
    """Queue an estimate; the same ``key`` gives back the same job."""
    return enqueue(
        ESTIMATE,
        f"{ESTIMATE}:{estimate.organization_id}:{key}",
        organization=estimate.organization,
        created_by=actor,
        payload={"estimate": estimate.pk, "language": language},
        max_attempts=2,
    )


@_in_language
def _estimate(job, context):
    """Build the capture histories from the run's clusters as they stand, and estimate."""
    from memoria.analysis.actions import organization_decisions, run_clusters, run_graph
    from memoria.analysis.estimate_pages import stratum_name
    from memoria.analysis.estimation import (
        EstimationSettings,
        capture_table,
        fingerprint,
        left_out_people,
        linkage_digest,
        lists_with_people,
        record_strata,
        run_estimate,
        run_pooled_estimate,
    )
    from memoria.analysis.models import Estimate
    from memoria.analysis.sources import no_longer_shared
    from memoria.mse import CaptureTableError
    from memoria.mse.hierarchical import SearchTooLarge
    from memoria.mse.loglinear import ModelNotEstimable

    estimate = Estimate.objects.select_related("run").get(pk=job.payload["estimate"])
    run = estimate.run
    if not run.finished:
        raise PermanentJobError(_("The linkage run has not finished."))
    settings = EstimationSettings.from_dict(estimate.options)
    values = None
    if settings.strata:
        context.progress(SOURCES, 0, 1)
        # A shared person carries no state or date (SHARED_KEYS): their stratum is the
        # one their cluster's other records give, and the partner's copies stay unread.
        values = record_strata(run_sources(run, shared=False))
    graph = run_graph(run)
    clusters = run_clusters(run)
    # The partners' people no longer shared since the run count no more: their
    # clusters lose those records (found without reading any shared copy).
    gone = no_longer_shared(run.organization, graph)
    left_out = frozenset().union(*gone.values())
    table = capture_table(graph, clusters, settings.strata, values, left_out)

    for label, lists in lists_with_people(table).items():
        if lists < 3:
            where = (
                _("the stratum %(name)s") % {"name": stratum_name(label)} if label else _("the run")
            )
            message = _(
                "An estimate needs at least three lists with people; %(where)s has "
                "%(lists)s. Link more lists, or choose fewer strata."
            ) % {"where": where, "lists": lists}
            if gone:
                message += " " + _(
                    "People no longer shared with your organization (by %(organizations)s) "
                    "were left out."
                ) % {"organizations": _partner_names(gone) or "—"}
            raise PermanentJobError(message)

    def progress(task: str, done: int, total: int) -> None:
        context.progress(stored(task), done, total)

    linkage = ""
    try:
        report = run_estimate(table, settings, progress)
        if gone:
            report["left_out"] = {
                "lists": [
                    {"list": graph["sources"][source], "records": len(records)}
                    for source, records in gone.items()
                ],
                "people": left_out_people(graph, clusters, left_out),
            }
        if settings.linkage_draws:
            decisions = organization_decisions(run.organization_id)
            linkage = linkage_digest(graph, decisions, left_out)
            report["linkage_uncertainty"] = run_pooled_estimate(
                graph, decisions, settings.strata, values, settings, progress, left_out
            )
    except CaptureTableError as error:
        raise PermanentJobError(
            _(
                "These capture histories cannot be estimated. "
                "Link more lists, or choose fewer strata."
            )
        ) from error
    except (SearchTooLarge, ModelNotEstimable) as error:
        if not settings.averaged:
            raise
        # The search over every model refuses more than 6 lists or 40,000 models.
        raise PermanentJobError(
            _(
                "The search over every log-linear model cannot run on these capture "
                "histories: it takes at most 6 lists and 40,000 models, and needs at least "
                "one model with an estimate. Choose a lower order of terms, or the stepwise "
                "choice."
            )
        ) from error
    return table, fingerprint(table, settings, linkage), report


def _partner_names(sources) -> str:
    """The names of the partners whose people the run's ``sources`` are."""
    from memoria.accounts.models import Organization
    from memoria.analysis.sources import shared_owner

    owners = Organization.objects.filter(pk__in=[shared_owner(source) for source in sources])
    return ", ".join(owners.order_by("name").values_list("name", flat=True))


@job_handler(ESTIMATE, prepare=_estimate)
def _write_estimate(job, context) -> dict:
    from memoria.analysis.actions import save_estimate
    from memoria.analysis.models import Estimate

    table, print_, report = context.prepared
    estimate = Estimate.objects.select_related("organization").get(pk=job.payload["estimate"])
    save_estimate(estimate, table, print_, report, actor=job.created_by)
    return {"estimate": estimate.pk, "reproduced": estimate.reproduced}


__all__ = ["CASES_SOURCE", "ESTIMATE", "LINKAGE", "queue_estimate", "queue_linkage"]
