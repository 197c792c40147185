"""Two-factor sign-in, enrolment, and re-authentication pages."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from memoria.audit.log import audit
from memoria.vault.forms import CodeForm, EnrolForm, ReauthForm
from memoria.vault.models import SealedStaticDevice, SealedTOTPDevice
from memoria.vault.reauth import has_recent_auth, mark_recent_auth, reauth_url
from memoria.vault.twofactor import (
    TOTP_DEVICE_NAME,
    has_any_device,
    has_confirmed_totp,
    is_verified,
    replace_recovery_codes,
    requires_two_factor,
    two_factor_url,
)


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def verify_code(user, token: str):
    """The device that accepts ``token`` (TOTP digits or a recovery code), or None."""
    kind = SealedTOTPDevice if token.isdigit() and len(token) <= 8 else SealedStaticDevice
    with transaction.atomic():
        candidates = kind.objects.devices_for_user(user, confirmed=True).select_for_update()
        for device in candidates:
            if device.verify_token(token):
                return device
    return None


def _confirm_second_factor(request, device) -> None:
    otp_login(request, device)
    request.session.cycle_key()
    mark_recent_auth(request)
    if isinstance(device, SealedStaticDevice):
        left = device.token_set.count()
        audit(request.user, None, "login.recovery_code", request=request, codes_left=left)
        messages.warning(
            request,
            _("You signed in with a recovery code. Recovery codes left: %(count)s.")
            % {"count": left},
        )
    else:
        audit(request.user, None, "login.two_factor", request=request)


class TwoFactorLoginView(auth_views.LoginView):
    """The password step; members who owe a second factor go on to the code page."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_success_url(self):
        url = super().get_success_url()
        if requires_two_factor(self.request.user) and not is_verified(self.request.user):
            return two_factor_url(url)
        return url


@login_required
def two_factor(request):
    next_url = _next_url(request)
    if is_verified(request.user):
        return redirect(next_url)
    if not has_confirmed_totp(request.user):
        return redirect(f"{resolve_url('vault:two_factor_setup')}?{urlencode({'next': next_url})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = verify_code(request.user, form.cleaned_data["token"])
        if device is not None:
            _confirm_second_factor(request, device)
            return redirect(next_url)
        audit(request.user, None, "login.two_factor_failed", request=request)
        form.add_error("token", _("That code is not valid. Wait for a new one and try again."))
    return render(request, "vault/two_factor.html", {"form": form, "next": next_url})


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def two_factor_setup(request):
    """Enrol an authenticator app: QR code and secret, confirm a code, show recovery codes."""
    next_url = _next_url(request)
    if has_confirmed_totp(request.user):
        if not is_verified(request.user):
            return redirect(two_factor_url(next_url))
        if not has_recent_auth(request):
            return redirect(reauth_url(request.get_full_path()))
    device = SealedTOTPDevice.objects.filter(user=request.user, confirmed=False).order_by(
        "-pk"
    ).first() or SealedTOTPDevice.objects.create(
        user=request.user, name=TOTP_DEVICE_NAME, confirmed=False
    )
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            codes = _enrol(request, device)
            context = {"codes": codes, "next": next_url}
            return render(request, "vault/recovery_codes.html", context)
        form.add_error("token", _("That code is not valid. Check the clock of your phone."))
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": _grouped(secret),
    }
    return render(request, "vault/two_factor_setup.html", context)


@transaction.atomic
def _enrol(request, device) -> list[str]:
    SealedTOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = replace_recovery_codes(request.user)
    otp_login(request, device)
    request.session.cycle_key()
    mark_recent_auth(request)
    audit(request.user, None, "two_factor.enrolled", request=request)
    return codes


@login_required
def reauth(request):
    """Confirm password (and code) again before an export or a key operation."""
    next_url = _next_url(request)
    needs_code = has_any_device(request.user)
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=request.user.email, password=form.cleaned_data["password"]
        )
        if user is None or user.pk != request.user.pk:
            form.add_error("password", _("The password is not correct."))
        elif needs_code and verify_code(request.user, form.cleaned_data["token"]) is None:
            form.add_error("token", _("That code is not valid. Wait for a new one and try again."))
        else:
            mark_recent_auth(request)
            audit(request.user, None, "reauth", request=request)
            return redirect(next_url)
        audit(request.user, None, "reauth.failed", request=request)
    context = {"form": form, "next": next_url, "needs_code": needs_code}
    return render(request, "vault/reauth.html", context)
