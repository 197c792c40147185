"""Who must use two-factor sign-in, and the middleware that enforces it.

The rule is a function of capabilities, not of role names: anyone whose role
in any organization lets them read or change identities, export them, or
manage members must confirm a TOTP code (or a recovery code) after their
password. Today every role reads records, so in practice every member does.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from memoria.accounts.models import SealedStaticDevice, SealedTOTPDevice
from memoria.accounts.roles import CAPABILITIES, Capability

IDENTITY_CAPABILITIES = frozenset(
    {
        Capability.READ_RECORDS,
        Capability.READ_PROTECTION,
        Capability.READ_SEARCH,
        Capability.EDIT_RECORDS,
        Capability.EXPORT_IDENTITIES,
        Capability.MANAGE_MEMBERS,
    }
)
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"

# Pages an authenticated user may reach before confirming a code.
EXEMPT_URL_NAMES = frozenset(
    {
        "accounts:two_factor",
        "accounts:two_factor_setup",
        "accounts:logout",
        "accounts:login",
        "core:healthz",
        "set_language",
    }
)


def role_requires_two_factor(role: str) -> bool:
    return bool(CAPABILITIES.get(role, frozenset()) & IDENTITY_CAPABILITIES)


def requires_two_factor(user) -> bool:
    """True if ``user`` must confirm a second factor before seeing anything."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    roles = set(user.memberships.values_list("role", flat=True))
    return any(role_requires_two_factor(role) for role in roles)


def is_verified(user) -> bool:
    checker = getattr(user, "is_verified", None)
    return bool(checker and checker())


def has_confirmed_totp(user) -> bool:
    return SealedTOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def totp_device(user) -> SealedTOTPDevice | None:
    """The user's confirmed authenticator, if they set one up."""
    return SealedTOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    device = SealedStaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()
    return device.token_set.count() if device else 0


def has_any_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def replace_recovery_codes(user) -> list[str]:
    """Issue a fresh set of single-use recovery codes (the old ones stop working)."""
    device, _created = SealedStaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    return device.replace_codes(RECOVERY_CODE_COUNT)


def devices_accepting(user, token: str):
    """The user's confirmed devices of the kind ``token`` is for, locked for the check.

    Six to eight digits are an authenticator's code; anything else a recovery
    code. Call inside a transaction: verifying writes (django-otp's replay and
    throttling counters, a used recovery code).
    """
    kind = SealedTOTPDevice if token.isdigit() and len(token) <= 8 else SealedStaticDevice
    return kind.objects.devices_for_user(user, confirmed=True).select_for_update(no_key=True)


def two_factor_url(next_path: str) -> str:
    return f"{reverse('accounts:two_factor')}?{urlencode({'next': next_path})}"


class TwoFactorMiddleware:
    """Send signed-in users who owe a second factor to the code page.

    Install after ``django_otp.middleware.OTPMiddleware``. Static files are
    served by WhiteNoise before this runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or is_verified(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT_URL_NAMES:
            return None
        if request.path.startswith(settings.STATIC_URL):
            return None
        if not requires_two_factor(user):
            return None
        return redirect(two_factor_url(request.get_full_path()))
