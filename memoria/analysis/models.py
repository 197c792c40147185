"""Linkage runs over an organization's lists, the pairs they send to review,
and the reviewers' decisions.

* ``LinkageList`` — a list uploaded for linkage (CSV or XLSX): its name and
  column choices encrypted, its rows sealed under the organization's key like
  an import job's input (``memoria.cases.io.jobs.seal``).
* ``LinkageRun`` — one linkage job over chosen sources (the organization's
  case persons, uploaded lists). Its result is sealed: every record's
  fingerprint and list, the model's links, and the clusters after the
  reviewers' decisions (rebuilt at every decision). In clear: counts only.
* ``ReviewPair`` — a pair the run sends to review: the two records side by
  side and the explanation of the score, encrypted; in clear the score (to
  order the queue) and the pair's blind key.
* ``PairDecision`` — a reviewer's answer (same person, different, unsure),
  keyed by the pair's blind key: two records' stable fingerprints, not row
  numbers, so the answer holds for every later run over the same records.

Fingerprints are keyed hashes (``memoria.vault.blind``): they reveal nothing
without the organization's key, and may be filtered on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.accounts.models import Organization
from memoria.vault.fields import EncryptedCharField, EncryptedJSONField

CASES_SOURCE = "cases"


class LinkageList(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = EncryptedCharField(_("name of the list"), max_length=120)
    # The table (headers and rows), sealed with memoria.cases.io.jobs.seal.
    sealed_table = models.TextField(blank=True)
    mapping = EncryptedJSONField(_("columns"), null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"list #{self.pk}"

    @property
    def ready(self) -> bool:
        return bool(self.mapping)


class LinkageRun(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    include_cases = models.BooleanField(default=False)
    lists = models.ManyToManyField(LinkageList, related_name="runs", blank=True)
    # Partners whose shared people are a source (read from their copies when the job runs).
    partners = models.ManyToManyField(Organization, related_name="+", blank=True)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Counts only (records, pairs, clusters, decisions): safe in clear.
    summary = models.JSONField(default=dict, blank=True)
    # {"records": [[fingerprint, list name], ...], "links": [[a, b, p, linked, held], ...]}
    sealed_graph = models.TextField(blank=True)
    # {"clusters": {fingerprint: cluster}, "histories": capture histories by list}
    sealed_clusters = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"linkage run #{self.pk}"

    @property
    def finished(self) -> bool:
        return bool(self.sealed_graph)


class Decision(models.TextChoices):
    SAME = "same", _("Same person")
    DIFFERENT = "different", _("Different people")
    UNSURE = "unsure", _("Unsure")


class ReviewPair(models.Model):
    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="pairs")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    pair_key = models.CharField(max_length=40)
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    held_back = models.BooleanField(default=False)
    # 1 at probability 0.5 or held back, 0 at 0 or 1: the queue's order (see docs/review.md).
    uncertainty = models.FloatField()
    # {"left": {...}, "right": {...}, "evidence": [{comparison, level, bayes_factor}]}
    details = EncryptedJSONField(_("the two records"))

    class Meta:
        ordering = ["-uncertainty", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "pair_key"], name="one_review_pair_per_run")
        ]

    def __str__(self) -> str:
        return f"pair #{self.pk} of run #{self.run_id}"


class PairDecision(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    pair_key = models.CharField(max_length=40)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "pair_key"], name="one_decision_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pair_key}: {self.decision}"


class Estimate(models.Model):
    """An estimate of how many people the lists of a reviewed run missed.

    In clear: the options (numbers, method names), the fingerprint of the
    inputs (a hash of counts and settings) and which earlier estimate with the
    same fingerprint this one reproduces. Encrypted: the capture-history table
    and the engine's report, which name the lists.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="estimates")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    options = models.JSONField(default=dict)  # EstimationSettings.to_dict()
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    engine_version = models.CharField(max_length=40, blank=True)
    # {"table": capture histories by stratum, "report": the engine's report}
    result = EncryptedJSONField(_("result"), null=True, blank=True)
    reproduces = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # None: nothing earlier to compare with; True: the same figures; False: others.
    reproduced = models.BooleanField(null=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"estimate #{self.pk} of run #{self.run_id}"

    @property
    def finished(self) -> bool:
        return self.result is not None


class OfficialDataset(models.Model):
    """Official figures an organization imported from a file it downloaded (SESNSP or
    RNPDNO; ``memoria.analysis.official``). Public data, so kept in clear.

    Per organization, not for the whole installation: each organization compares
    its cases with the edition of the file it chose, on the date it downloaded
    it, mapped by its own analysts; no organization can replace or delete the
    figures another one compares against (docs/statistics.md)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for its columns")
        QUEUED = "queued", _("Importing")
        READY = "ready", _("Imported")
        FAILED = "failed", _("Not imported")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10)  # official.SESNSP or official.RNPDNO
    name = models.CharField(_("name"), max_length=200)
    # The uploaded file, compressed, until it is imported (then emptied).
    held_file = models.BinaryField(blank=True, default=b"")
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows = models.PositiveIntegerField(default=0)
    counted_at_state = models.PositiveIntegerField(default=0)  # unknown municipality codes
    # {"year": [months with figures]} ([0] for a file by whole years): official.Parsed.periods
    periods = models.JSONField(default=dict, blank=True)
    # The problems found in the file (row, column, value, message): public data only.
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    imported_at = models.DateTimeField(null=True, blank=True)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"official dataset #{self.pk}"


class OfficialCount(models.Model):
    """One official count: a state (and municipality), a year (and month), a category."""

    dataset = models.ForeignKey(OfficialDataset, on_delete=models.CASCADE, related_name="counts")
    state = models.CharField(max_length=2)
    municipality = models.CharField(max_length=5, blank=True)  # "" counted by state only
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(default=0)  # 0: the whole year
    category = models.CharField(max_length=200, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["dataset", "category", "year"])]

    def __str__(self) -> str:
        return f"{self.state}{self.municipality} {self.year}-{self.month}: {self.count}"
