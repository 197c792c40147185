"""Sign-ins, failed sign-ins and sign-outs go to the audit log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from memoria.audit.labels import AuditAction
from memoria.audit.log import audit, sign_in_name_digest


@receiver(user_logged_in, dispatch_uid="memoria.audit.login")
def record_login(sender, request, user, **kwargs):
    audit(user, None, AuditAction.LOGIN, request=request)


@receiver(user_login_failed, dispatch_uid="memoria.audit.login_failed")
def record_login_failure(sender, credentials, request=None, **kwargs):
    # What was typed may be a password typed in the wrong box: never store it.
    # Keep a keyed digest (repeated failures for one name share it) and, when
    # it is someone's e-mail, that account's id.
    attempted = str(credentials.get("username") or credentials.get("email") or "").strip()
    details = {}
    if attempted:
        details["name_digest"] = sign_in_name_digest(attempted)
        account_id = _account_id(attempted)
        if account_id is not None:
            details["account_id"] = account_id
    audit(None, None, AuditAction.LOGIN_FAILED, request=request, **details)


def _account_id(name: str) -> int | None:
    User = get_user_model()
    lookup = {f"{User.USERNAME_FIELD}__iexact": name}
    return User.objects.filter(**lookup).values_list("pk", flat=True).first()


@receiver(user_logged_out, dispatch_uid="memoria.audit.logout")
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        audit(user, None, AuditAction.LOGOUT, request=request)
