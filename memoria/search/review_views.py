"""Pages of the review of possible matches: per file, per remains, the queue, one candidate.

Reading takes ``Capability.READ_SEARCH`` (readers read, analysts see
nothing); deciding takes ``Capability.EDIT_RECORDS`` as well (documenters and
coordinators). Every view of a list of candidates and of one candidate is
audited; every decision is audited by ``review.decide``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError
from memoria.search import access, review
from memoria.search.models import Candidate, CandidateStatus
from memoria.search.review_forms import DecisionForm

READ = Capability.READ_SEARCH

# How each piece of the engine's evidence reads (docs/matching.md, "Evidence codes").
EVIDENCE_LABELS = {
    "sex": gettext_lazy("Sex"),
    "time": gettext_lazy("Time between the disappearance and the finding"),
    "age": gettext_lazy("Age"),
    "stature": gettext_lazy("Stature"),
    "place": gettext_lazy("Place"),
    "tattoos_not_found": gettext_lazy("Tattoos the family reported, not seen on the body"),
    "tattoos_unreported": gettext_lazy("Tattoos on the body the family did not mention"),
    "shared": gettext_lazy("In both records"),
}
EXCLUSION_LABELS = {
    "sex": gettext_lazy("Sex conflict on a complete or partial body"),
    "found_before": gettext_lazy("Found well before the person was last seen"),
    "age": gettext_lazy("Impossible age at death"),
    "stature": gettext_lazy("Statures too far apart"),
}


def _reasons(candidate: Candidate) -> tuple[list[dict], list[dict]]:
    reasons = candidate.reasons or {}
    evidence = [
        {**e, "label": EVIDENCE_LABELS.get(e.get("code"), e.get("code"))}
        for e in reasons.get("evidence", [])
    ]
    evidence.sort(key=lambda e: -abs(e.get("weight") or 0))
    exclusions = [
        {**e, "label": EXCLUSION_LABELS.get(e.get("code"), e.get("code"))}
        for e in reasons.get("exclusions", [])
    ]
    return evidence, exclusions


def _rows(candidates: list[Candidate]) -> list[dict]:
    rows = []
    for candidate in candidates:
        evidence, exclusions = _reasons(candidate)
        rows.append(
            {
                "candidate": candidate,
                "evidence": [e for e in evidence if (e.get("weight") or 0) > 0][:3],
                "against": [e for e in evidence if (e.get("weight") or 0) < 0][:2],
                "exclusions": exclusions,
            }
        )
    return rows


def _page(request, membership, template: str, context: dict):
    context = {
        "organization": membership.organization,
        "section": "review",
        "can_decide": access.search_access(membership).write,
        **context,
    }
    return render(request, template, context)


@organization_view(READ)
def file_candidates(request, membership, file_id):
    """An AM file's candidate remains, best first, with reasons and exclusions."""
    file = access.get_file(membership, file_id)
    candidates = sorted(access.candidates_of(membership).filter(file=file), key=review.score_key)
    audit(request.user, file.organization, AuditAction.SEARCH_CANDIDATES_VIEW, file,
          request=request, shown=len(candidates))  # fmt: skip
    return _page(
        request,
        membership,
        "search/candidate_list.html",
        {"file": file, "rows": _rows(candidates), "per": "file"},
    )


@organization_view(READ)
def remains_candidates(request, membership, remains_id):
    """The reverse: the files a remains record could belong to."""
    remains = access.get_remains(membership, remains_id)
    candidates = sorted(
        access.candidates_of(membership).filter(remains=remains), key=review.score_key
    )
    audit(request.user, remains.organization, AuditAction.SEARCH_CANDIDATES_VIEW, remains,
          request=request, shown=len(candidates))  # fmt: skip
    return _page(
        request,
        membership,
        "search/candidate_list.html",
        {"remains": remains, "rows": _rows(candidates), "per": "remains"},
    )


@organization_view(READ)
def review_queue(request, membership):
    """The reviewer's queue: open candidates, new strong ones first."""
    candidates = [c for c in access.candidates_of(membership) if c.status in review.OPEN]
    candidates.sort(key=review.queue_key)
    audit(request.user, membership.organization, AuditAction.SEARCH_CANDIDATES_VIEW,
          request=request, shown=len(candidates), list="queue")  # fmt: skip
    return _page(
        request,
        membership,
        "search/candidate_list.html",
        {"rows": _rows(candidates), "per": "queue"},
    )


@organization_view(READ)
def candidate_detail(request, membership, candidate_id):
    """One candidate: both records side by side, every reason, its review; the decision."""
    candidate = access.get_candidate(membership, candidate_id)
    can_decide = candidate.access.write
    form = None
    status = 200
    if request.method == "POST":
        if not can_decide:
            raise Http404("No such page")
        form = DecisionForm(request.POST, candidate=candidate)
        if form.is_valid():
            data = form.cleaned_data
            try:
                decided = review.decide(
                    candidate,
                    request.user,
                    data["to_status"],
                    data["version"],
                    reason=data.get("reason") or "",
                    referred_to=data.get("referred_to") or [],
                    messenger=data.get("messenger"),
                    request=request,
                )
            except ConflictError as conflict:
                # Shown again as it stands now, with a fresh form: nothing was written.
                messages.error(
                    request,
                    _("Someone decided on this candidate meanwhile: read it again first."),
                )
                candidate = conflict.current
                candidate.access = access.search_access(membership)
                form, status = None, 409
            except review.AlreadyIdentified:
                messages.error(
                    request,
                    _(
                        "These remains are already confirmed as another person's. If that "
                        "confirmation was wrong, withdraw it first."
                    ),
                )
                form, status = None, 409
            except review.TransitionError:
                messages.error(request, _("That step is not possible from where it stands now."))
                form, status = None, 409
            else:
                messages.success(request, _("The decision was recorded."))
                if (
                    decided.status == CandidateStatus.CONFIRMED
                    and not review.news_status(decided)["delivery"]
                ):
                    messages.warning(
                        request,
                        _(
                            "Nobody in the family was notified: the file has no designated "
                            "person who receives news, or no channel reaches them. A member "
                            "must arrange to tell the family in person."
                        ),
                    )
                return redirect(
                    reverse("search:candidate", args=[membership.organization.slug, candidate.pk])
                )
        else:
            status = 400
    if request.method == "GET":  # a refused decision shows again what was just read
        audit(request.user, membership.organization, AuditAction.SEARCH_CANDIDATE_VIEW,
              candidate, request=request)  # fmt: skip
    if can_decide and form is None and review.TRANSITIONS.get(candidate.status):
        form = DecisionForm(candidate=candidate)
    evidence, exclusions = _reasons(candidate)
    decisions = list(candidate.decisions.select_related("decided_by"))
    labels = dict(CandidateStatus.choices)
    for decision in decisions:
        decision.from_label = labels.get(decision.from_status, decision.from_status)
        decision.to_label = labels.get(decision.to_status, decision.to_status)
    context = {
        "candidate": candidate,
        "file": candidate.file,
        "remains": candidate.remains,
        "evidence": evidence,
        "exclusions": exclusions,
        "decisions": decisions,
        "form": form,
        "news": review.news_status(candidate),
    }
    response = _page(request, membership, "search/candidate_detail.html", context)
    response.status_code = status
    return response
