"""Sign-ins, failed sign-ins and sign-outs go to the audit log."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from memoria.audit.log import audit


@receiver(user_logged_in, dispatch_uid="memoria.audit.login")
def record_login(sender, request, user, **kwargs):
    audit(user, None, "login", request=request)


@receiver(user_login_failed, dispatch_uid="memoria.audit.login_failed")
def record_login_failure(sender, credentials, request=None, **kwargs):
    attempted = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit(None, None, "login.failed", request=request, username=attempted)


@receiver(user_logged_out, dispatch_uid="memoria.audit.logout")
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        audit(user, None, "logout", request=request)
