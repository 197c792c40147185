"""The registry of audit actions and record kinds, and their readable names.

Codes are ``<thing>.<what happened>``: the cases app uses the verb
(``case.create``), accounts the past participle (``member.invited``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """Every action the audit log records: ``NAME = "code", _("label")``.

    The code is what the database stores (never change one: old entries keep
    it); the label is what the audit page shows. ``audit()`` refuses a code
    that is not here. To record a new kind of action, add one line in the
    section of its app and translate the label (bin/messages).
    """

    # Signing in and out
    LOGIN = "login", _("Signed in with password")
    LOGIN_FAILED = "login.failed", _("Failed sign-in")
    LOGIN_TWO_FACTOR = "login.two_factor", _("Confirmed sign-in with a code")
    LOGIN_TWO_FACTOR_FAILED = "login.two_factor_failed", _("Wrong sign-in code")
    LOGIN_RECOVERY_CODE = "login.recovery_code", _("Signed in with a recovery code")
    LOGOUT = "logout", _("Signed out")
    TWO_FACTOR_ENROLLED = "two_factor.enrolled", _("Set up two-step sign-in")
    TWO_FACTOR_RECOVERY_CODES_REPLACED = (
        "two_factor.recovery_codes_replaced",
        _("Replaced the recovery codes"),
    )
    REAUTH = "reauth", _("Confirmed identity again")
    REAUTH_FAILED = "reauth.failed", _("Failed to confirm identity")
    PASSWORD_CHANGED = "password.changed", _("Changed their password")
    PASSWORD_RESET = "password.reset", _("Reset their password by e-mail")
    # Members and the organization
    MEMBER_INVITED = "member.invited", _("Invited a person")
    MEMBER_INVITATION_REVOKED = "member.invitation_revoked", _("Withdrew an invitation")
    MEMBER_JOINED = "member.joined", _("Joined the organization")
    MEMBER_ROLE_CHANGED = "member.role_changed", _("Changed a role")
    MEMBER_REMOVED = "member.removed", _("Removed a member")
    ORGANIZATION_UPDATED = "organization.updated", _("Changed the organization's details")
    AUDIT_VIEW = "audit.view", _("Viewed the audit log")
    # Keys
    KEYS_ROTATED = "keys.rotated", _("Rotated the encryption key")
    KEYS_MASTER_ROTATED = "keys.master_rotated", _("Rotated the master key")
    # Cases
    CASE_LIST = "case.list", _("Viewed the list of cases")
    CASE_CREATE = "case.create", _("Registered a case")
    CASE_VIEW = "case.view", _("Viewed a case")
    CASE_UPDATE = "case.update", _("Changed a case")
    CASE_HISTORY = "case.history", _("Viewed a case's history of changes")
    CASE_REMOVE = "case.remove", _("Removed part of a case")
    PERSON_SEARCH = "person.search", _("Searched for a person")
    PERSON_MATCHES = "person.matches", _("Was shown people already recorded with a similar name")
    PERSON_CREATE = "person.create", _("Registered a person")
    PERSON_VIEW = "person.view", _("Viewed a person's record")
    PERSON_UPDATE = "person.update", _("Changed a person's record")
    PERSON_HISTORY = "person.history", _("Viewed a person's history of changes")
    ACT_CREATE = "act.create", _("Recorded an act against a victim")
    ACT_UPDATE = "act.update", _("Changed an act against a victim")
    PERPETRATOR_CREATE = "perpetrator.create", _("Attributed responsibility to a perpetrator")
    PERPETRATOR_UPDATE = "perpetrator.update", _("Changed an attribution of responsibility")
    SOURCE_CREATE = "source.create", _("Recorded a source")
    SOURCE_UPDATE = "source.update", _("Changed a source")
    ATTACHMENT_CREATE = "attachment.create", _("Attached a file")
    ATTACHMENT_DOWNLOAD = "attachment.download", _("Downloaded an attached file")
    RELATIVE_CREATE = "relative.create", _("Recorded someone already registered as a relative")
    RELATIVE_UPDATE = "relative.update", _("Changed whose relative someone is")
    INTERVENTION_CREATE = "intervention.create", _("Recorded an intervention")
    INTERVENTION_UPDATE = "intervention.update", _("Changed an intervention")
    VOCABULARY_CREATE = "vocabulary.create", _("Added a term to a vocabulary")
    VOCABULARY_UPDATE = "vocabulary.update", _("Changed a term of a vocabulary")
    CASES_IMPORT = "cases.import", _("Imported cases from a file")
    CASES_REINDEX = "cases.reindex", _("Rebuilt the search index of people")
    CASES_EXPORT = "cases.export", _("Exported cases without identities")
    CASES_EXPORT_IDENTITIES = "cases.export_identities", _("Exported cases with identities")
    CASES_EXPORT_DOWNLOAD = "cases.export_download", _("Downloaded an export the worker made")
    # Victims' registry and reparations (memoria.victims)
    VICTIM_PATH_VIEW = "victims.view", _("Viewed a victim's registrations and requests")
    VICTIMS_LIST = "victims.list", _("Viewed the list of victims followed")
    VICTIMS_OWED = "victims.owed", _("Viewed what the state owes the victims")
    VICTIMS_TIMELINE = "victims.timeline", _("Viewed a family's timeline")
    VICTIMS_FIGURES_EXPORT = (
        "victims.figures_export",
        _("Exported the figures of registrations and reparations"),
    )
    REGISTRATION_CREATE = "registration.create", _("Recorded a request to a victims' registry")
    REGISTRATION_UPDATE = "registration.update", _("Changed a request to a victims' registry")
    VICTIM_REQUEST_CREATE = (
        "victim_request.create",
        _("Recorded a request to a victims' commission"),
    )
    VICTIM_REQUEST_UPDATE = "victim_request.update", _("Changed a request to a victims' commission")
    MEASURE_CREATE = "measure.create", _("Recorded a measure of help or reparation")
    MEASURE_UPDATE = "measure.update", _("Changed a measure of help or reparation")
    APPEAL_CREATE = "appeal.create", _("Recorded an appeal or an amparo")
    APPEAL_UPDATE = "appeal.update", _("Changed an appeal or an amparo")
    VICTIM_DOCUMENT_CREATE = (
        "victim_document.create",
        _("Attached a document to a victim's request"),
    )
    VICTIM_DOCUMENT_DOWNLOAD = (
        "victim_document.download",
        _("Downloaded a document of a victim's request"),
    )
    VICTIM_REMINDER_SENT = "victims.reminder_sent", _("Sent a deadline reminder")

    # Analysis: record linkage and its review queue
    LINKAGE_LIST_UPLOAD = "linkage.list_upload", _("Uploaded a list for record linkage")
    LINKAGE_LIST_COLUMNS = "linkage.list_columns", _("Chose the columns of a list for linkage")
    LINKAGE_LIST_DELETE = "linkage.list_delete", _("Deleted a list uploaded for linkage")
    LINKAGE_RUN = "linkage.run", _("Started a record linkage")
    LINKAGE_RUN_DONE = "linkage.run_done", _("A record linkage finished")
    LINKAGE_PAIR_VIEW = "linkage.pair_view", _("Viewed a pair of records to review")
    LINKAGE_DECIDE = "linkage.decide", _("Decided whether two records are the same person")
    LINKAGE_HISTORIES = "linkage.histories", _("Downloaded the capture histories of a linkage")
    ESTIMATION_START = "estimation.start", _("Started an estimate of the people the lists missed")
    ESTIMATION_DONE = "estimation.done", _("An estimate of the people the lists missed finished")
    ESTIMATION_VIEW = "estimation.view", _("Viewed an estimate of the people the lists missed")
    ESTIMATION_REPORT = "estimation.report", _("Opened the printable report of an estimate")
    OFFICIAL_UPLOAD = "official.upload", _("Uploaded a file of official figures")
    OFFICIAL_IMPORT = "official.import", _("Imported official figures")
    OFFICIAL_DELETE = "official.delete", _("Deleted imported official figures")

    # Alerts: channels and urgent alerts
    CHANNEL_CREATE = "channel.create", _("Added an alert channel")
    CHANNEL_UPDATE = "channel.update", _("Changed an alert channel")
    CHANNEL_TEST = "channel.test", _("Sent a test message over an alert channel")
    ALERT_TEMPLATE_CREATE = "alert_template.create", _("Added an urgent-alert template")
    ALERT_TEMPLATE_UPDATE = "alert_template.update", _("Changed an urgent-alert template")
    URGENT_ALERT_SEND = "urgent_alert.send", _("Sent an urgent alert")
    URGENT_ALERT_VIEW = "urgent_alert.view", _("Viewed who received an urgent alert")
    URGENT_ALERT_ACKNOWLEDGED = (
        "urgent_alert.acknowledged",
        _("A recipient acknowledged an urgent alert"),
    )
    # Protection (people at risk)
    PROTECTION_LIST = "protection.list", _("Viewed the list of people at risk")
    PROTECTION_CREATE = "protection.create", _("Registered a person at risk")
    PROTECTION_VIEW = "protection.view", _("Viewed the protection record of a person at risk")
    PROTECTION_UPDATE = "protection.update", _("Changed the record of a person at risk")
    PROTECTION_CONTACT_CREATE = "protection.contact_create", _("Added a support contact")
    PROTECTION_CONTACT_UPDATE = "protection.contact_update", _("Changed a support contact")
    PROTECTION_ASSESSMENT_CREATE = "protection.assessment_create", _("Recorded a risk assessment")
    PROTECTION_ASSESSMENT_UPDATE = "protection.assessment_update", _("Changed a risk assessment")
    PROTECTION_FACTOR_CREATE = (
        "protection.factor_create",
        _("Added a threat, vulnerability or capacity"),
    )
    PROTECTION_FACTOR_UPDATE = (
        "protection.factor_update",
        _("Changed a threat, vulnerability or capacity"),
    )
    PROTECTION_REQUEST_CREATE = (
        "protection.request_create",
        _("Recorded a request to a protection mechanism"),
    )
    PROTECTION_REQUEST_UPDATE = (
        "protection.request_update",
        _("Changed a request to a protection mechanism"),
    )
    PROTECTION_MEASURE_CREATE = "protection.measure_create", _("Recorded a protection measure")
    PROTECTION_MEASURE_UPDATE = "protection.measure_update", _("Changed a protection measure")
    PROTECTION_OWED_VIEW = "protection.owed_view", _("Viewed what the state owes")
    PROTECTION_ALERT_RAISED = "protection.alert_raised", _("Raised an alert about an overdue item")
    PROTECTION_ALERT_ACKNOWLEDGED = (
        "protection.alert_acknowledged",
        _("Acknowledged an alert about an overdue item"),
    )
    # Search for the disappeared (memoria.search): ids only, never a name or a folio
    SEARCH_AM_LIST = "search.am_list", _("Viewed the list of ante-mortem files")
    SEARCH_AM_VIEW = "search.am_view", _("Viewed an ante-mortem file")
    SEARCH_AM_CREATE = "search.am_create", _("Opened an ante-mortem file")
    SEARCH_AM_UPDATE = "search.am_update", _("Changed an ante-mortem file")
    SEARCH_PART_CREATE = (
        "search.part_create",
        _("Added a mark, contact, sample, consent or dental finding"),
    )
    SEARCH_PART_UPDATE = (
        "search.part_update",
        _("Changed a mark, contact, sample, consent or dental finding"),
    )
    SEARCH_PART_DELETE = (
        "search.part_delete",
        _("Removed a mark, contact, sample, consent or dental finding"),
    )
    SEARCH_PHOTO_CREATE = "search.photo_create", _("Added a photo to a search record")
    SEARCH_PHOTO_VIEW = "search.photo_view", _("Viewed a photo of a search record")
    SEARCH_SITE_LIST = "search.site_list", _("Viewed the list of graves and search sites")
    SEARCH_SITE_VIEW = "search.site_view", _("Viewed a grave or search site")
    SEARCH_SITE_CREATE = "search.site_create", _("Recorded a grave or search site")
    SEARCH_SITE_UPDATE = "search.site_update", _("Changed a grave or search site")
    SEARCH_BRIGADE_LIST = "search.brigade_list", _("Viewed a brigade's day log")
    SEARCH_BRIGADE_CREATE = "search.brigade_create", _("Recorded a brigade day")
    SEARCH_BRIGADE_UPDATE = "search.brigade_update", _("Changed a brigade day")
    SEARCH_REMAINS_LIST = "search.remains_list", _("Viewed the list of remains records")
    SEARCH_REMAINS_VIEW = "search.remains_view", _("Viewed a remains record")
    SEARCH_REMAINS_CREATE = "search.remains_create", _("Recorded remains")
    SEARCH_REMAINS_UPDATE = "search.remains_update", _("Changed a remains record")
    SEARCH_CANDIDATES_VIEW = "search.candidates_view", _("Viewed a list of possible matches")
    SEARCH_CANDIDATE_VIEW = "search.candidate_view", _("Viewed a possible match")
    SEARCH_CANDIDATE_DECIDED = "search.candidate_decided", _("Decided on a possible match")
    SEARCH_MATCH_NOTIFIED = (
        "search.match_notified",
        _("Asked a member to tell a family, in person, of a confirmed match"),
    )
    SEARCH_NEWS_CONTACT_NOTIFIED = (
        "search.news_contact_notified",
        _("Asked a family's designated person to get in touch after a confirmed match"),
    )
    SEARCH_NEWS_CONTACT_MISSING = (
        "search.news_contact_missing",
        _("Confirmed a match with nobody in the family to notify"),
    )
    SEARCH_REMATCHED = "search.rematched", _("Ranked the possible matches again")
    SEARCH_OFFICIAL_LIST = "search.official_list", _("Viewed the imported official lists")
    SEARCH_OFFICIAL_IMPORT = "search.official_import", _("Imported an official list")
    SEARCH_REGISTRY_REPORT = (
        "search.registry_report",
        _("Viewed or ran a report against the national registry"),
    )
    SEARCH_REGISTRY_DECISION = (
        "search.registry_decision",
        _("Decided whether a file and a registry record are the same person"),
    )
    # Sharing between organizations
    SHARE_GRANTED = "share.granted", _("Shared a record with another organization")
    SHARE_REVOKED = "share.revoked", _("Stopped sharing a record with another organization")
    SHARE_VIEWED = "share.viewed", _("Another organization read a shared record")
    SHARE_READ = "share.read", _("Read a record another organization shares")
    AGREEMENT_PROPOSE = "agreement.propose", _("Proposed a sharing agreement")
    AGREEMENT_ACCEPT = "agreement.accept", _("Accepted a sharing agreement")
    AGREEMENT_DECLINE = "agreement.decline", _("Declined a sharing agreement")
    AGREEMENT_REVOKE = "agreement.revoke", _("Revoked a sharing agreement")
    AGREEMENT_EXPIRE = "agreement.expire", _("A sharing agreement expired")
    AGREEMENT_LIST = "agreement.list", _("Viewed the sharing agreements")
    AGREEMENT_VIEW = "agreement.view", _("Viewed a sharing agreement")
    # Exchange between installations (memoria.exchange): ids and counts only
    EXCHANGE_PARTNER_ADD = "exchange.partner_add", _("Registered a partner installation")
    EXCHANGE_PARTNER_KEYS = (
        "exchange.partner_keys",
        _("Replaced the keys of a partner installation"),
    )
    EXCHANGE_AGREEMENT_ADD = (
        "exchange.agreement_add",
        _("Registered a sharing agreement with another installation"),
    )
    EXCHANGE_AGREEMENT_REVOKE = (
        "exchange.agreement_revoke",
        _("Revoked a sharing agreement with another installation"),
    )
    EXCHANGE_AGREEMENT_EXPIRE = (
        "exchange.agreement_expire",
        _("A sharing agreement with another installation expired"),
    )
    EXCHANGE_AGREEMENT_VIEW = (
        "exchange.agreement_view",
        _("Viewed an agreement with another installation and what it brought"),
    )
    EXCHANGE_EXPORT = "exchange.export", _("Sent a bundle to another installation")
    EXCHANGE_IMPORT = "exchange.import", _("Imported a bundle from another installation")
    EXCHANGE_IMPORT_REFUSED = (
        "exchange.import_refused",
        _("Refused a bundle from another installation"),
    )
    # The network (memoria.network): its directory and referrals; ids only, never a name
    NETWORK_PROFILE_UPDATE = "network.profile_update", _("Changed the profile in the network")
    REFERRAL_SEND = "referral.send", _("Referred a family or a case to another organization")
    REFERRAL_RECEIVE = "referral.receive", _("Received a referral from another organization")
    REFERRAL_ACCEPT = "referral.accept", _("Accepted a referral")
    REFERRAL_DECLINE = "referral.decline", _("Declined a referral")
    REFERRAL_PROGRESS = "referral.progress", _("Marked a referral as in progress")
    REFERRAL_CLOSE = "referral.close", _("Closed a referral")
    REFERRAL_FOLLOW_UP = "referral.follow_up", _("Set a referral's follow-up date")
    REFERRAL_LIST = "referral.list", _("Viewed the referrals")
    REFERRAL_VIEW = "referral.view", _("Viewed a referral")
    REFERRAL_REMINDER_SENT = "referral.reminder_sent", _("Sent a referral follow-up reminder")
    # Check-ins (memoria.checkins): ids only, never a name or a code
    CHECKIN_LIST = "checkin.list", _("Viewed the people who check in")
    CHECKIN_VIEW = "checkin.view", _("Viewed a person's check-in settings")
    CHECKIN_SCHEDULE_SET = "checkin.schedule_set", _("Set a check-in schedule")
    CHECKIN_LADDER_SET = "checkin.ladder_set", _("Set a check-in escalation ladder")
    CHECKIN_LINK_ISSUED = "checkin.link_issued", _("Issued a secret check-in link")
    CHECKIN_CODES_SET = "checkin.codes_set", _("Set the check-in and duress codes")
    CHECKIN_CHECKED_IN = "checkin.checked_in", _("Checked in")
    CHECKIN_DURESS = "checkin.duress", _("Checked in with the duress code")
    CHECKIN_CANCELLED = "checkin.cancelled", _("Cancelled a check-in alarm")
    CHECKIN_PAUSED = "checkin.paused", _("Paused check-ins")
    CHECKIN_RESUMED = "checkin.resumed", _("Check-ins resumed after a pause")
    CHECKIN_PANIC = "checkin.panic", _("Pressed the danger button")
    CHECKIN_MISSED = "checkin.missed", _("Missed a check-in: the escalation started")
    CHECKIN_STEP = "checkin.step", _("Sent an escalation step")
    CHECKIN_RESOLVED = "checkin.resolved", _("Closed a check-in escalation")
    CHECKIN_WRONG_CODE = "checkin.wrong_code", _("Entered a wrong check-in code")
    API_TOKEN_CREATED = "api_token.created", _("Created an API token")
    API_TOKEN_REVOKED = "api_token.revoked", _("Revoked an API token")
    # Anonymous reports (memoria.reports). Receiving a report is not audited on purpose:
    # its entry would keep the exact time a reporter wrote (docs/reports.md).
    REPORT_CHANNEL_OPENED = "report_channel.opened", _("Opened the anonymous reporting form")
    REPORT_CHANNEL_CLOSED = "report_channel.closed", _("Closed the anonymous reporting form")
    REPORT_QUEUE = "report.queue", _("Viewed the queue of anonymous reports")
    REPORT_VIEW = "report.view", _("Viewed an anonymous report")
    REPORT_VERIFIED = "report.verified", _("Verified an anonymous report")
    REPORT_DUPLICATE = "report.duplicate", _("Marked an anonymous report as a duplicate")
    REPORT_REJECTED = "report.rejected", _("Rejected an anonymous report")
    REPORT_CASE_CREATED = "report.case_created", _("Turned an anonymous report into a case")
    # Public site (memoria.public)
    PUBLIC_PUBLISHED = "public.published", _("Published the public site with today's figures")
    PUBLIC_UPDATED = "public.updated", _("Changed the public site's settings")
    PUBLIC_WITHDRAWN = "public.withdrawn", _("Withdrew the public site")
    # Capture on the road (memoria.capture)
    CAPTURE_RECEIVED = "capture.received", _("Received a testimony captured on the road")


def action_label(action: str) -> str:
    """The action's label in the reader's language; its code if it is no longer registered."""
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action


def target_label(target_type: str) -> str:
    """The kind of record an entry points to, in the reader's language (``app.model``)."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type
    return str(model._meta.verbose_name)


# How each app names its records on the audit log page: target type ("cases.event") →
# namer(organization, ids, identities) -> {id: name}. Filled by each app's ready(), so
# the log, below the feature apps, names their records without importing them.
_TARGET_NAMERS: dict[str, Callable[..., dict[str, str]]] = {}


def register_target_names(target_type: str, namer: Callable[..., dict[str, str]]) -> None:
    _TARGET_NAMERS[target_type] = namer


def target_names(organization, entries, *, identities: bool) -> dict[tuple[str, str], str]:
    """Names of the records ``entries`` point to, as members know them (case #3, a name).

    A record with no registered namer, or since removed, is left out: the page
    then says its kind and id.
    """
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if entry.target_type in _TARGET_NAMERS and entry.target_id:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    names = {}
    for target_type, ids in wanted.items():
        found = _TARGET_NAMERS[target_type](organization, sorted(ids), identities)
        names.update({(target_type, target_id): name for target_id, name in found.items()})
    return names
