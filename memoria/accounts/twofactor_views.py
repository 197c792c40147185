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
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from memoria.accounts import actions
from memoria.accounts.forms import CodeForm, EnrolForm, LoginForm, ReauthForm
from memoria.accounts.models import SealedStaticDevice, SealedTOTPDevice
from memoria.accounts.reauth import (
    has_recent_auth,
    mark_recent_auth,
    reauth_url,
    recent_auth_required,
)
from memoria.accounts.twofactor import (
    TOTP_DEVICE_NAME,
    has_any_device,
    has_confirmed_totp,
    is_verified,
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


def _confirm_second_factor(request, device) -> None:
    otp_login(request, device)
    request.session.cycle_key()
    mark_recent_auth(request)
    if isinstance(device, SealedStaticDevice):
        messages.warning(
            request,
            _("You signed in with a recovery code. Recovery codes left: %(count)s.")
            % {"count": device.token_set.count()},
        )


class TwoFactorLoginView(auth_views.LoginView):
    """The password step; members who owe a second factor go on to the code page."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
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
        return redirect(
            f"{resolve_url('accounts:two_factor_setup')}?{urlencode({'next': next_url})}"
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = actions.verify_second_factor(
            request.user, form.cleaned_data["token"], request=request
        )
        if device is not None:
            _confirm_second_factor(request, device)
            return redirect(next_url)
        form.add_error("token", _("That code is not valid. Wait for a new one and try again."))
    return render(request, "accounts/two_factor.html", {"form": form, "next": next_url})


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
            codes = actions.enrol_two_factor(request.user, device, request=request)
            otp_login(request, device)
            request.session.cycle_key()
            mark_recent_auth(request)
            context = {"codes": codes, "next": next_url}
            return render(request, "accounts/recovery_codes.html", context)
        form.add_error("token", _("That code is not valid. Check the clock of your phone."))
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": _grouped(secret),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@login_required
@recent_auth_required
def recovery_codes(request):
    """New recovery codes, shown once; the old ones stop working.

    Reached from the account page after confirming the password and a code
    again; a GET (where the confirmation comes back to) asks once more.
    """
    if not has_confirmed_totp(request.user):
        return redirect("accounts:two_factor_setup")
    if request.method != "POST":
        return render(request, "accounts/recovery_codes_renew.html")
    codes = actions.renew_recovery_codes(request.user, request=request)
    context = {"codes": codes, "next": resolve_url("accounts:account")}
    return render(request, "accounts/recovery_codes.html", context)


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
        failed = actions.confirm_identity(
            request.user,
            password_ok=user is not None and user.pk == request.user.pk,
            token=form.cleaned_data["token"] if needs_code else None,
            request=request,
        )
        if failed == "password":
            form.add_error("password", _("The password is not correct."))
        elif failed == "token":
            form.add_error("token", _("That code is not valid. Wait for a new one and try again."))
        else:
            mark_recent_auth(request)
            return redirect(next_url)
    context = {"form": form, "next": next_url, "needs_code": needs_code}
    return render(request, "accounts/reauth.html", context)
