"""Two-step sign-in for the fictional demo network.

Every demo user (only users of ``is_demo`` organizations, and ``memoria demo``
is refused in production) gets an authenticator with the same published
secret, so anyone trying the demo can add it to an app, or print the current
code with ``memoria demo --totp``. Never give a real account this secret.
"""

from __future__ import annotations

import base64

from django_otp.oath import TOTP

from memoria.accounts.models import Membership, Organization, SealedTOTPDevice

DEMO_TOTP_KEY = b"memoria-demo-totp-26"  # 20 bytes, public on purpose
DEMO_TOTP_SECRET = base64.b32encode(DEMO_TOTP_KEY).decode()  # for authenticator apps
DEMO_DEVICE_NAME = "demo authenticator"


def demo_member(organization: Organization, role: str):
    """The first member of ``organization`` with ``role`` (the demo's actors), or None."""
    membership = (
        Membership.objects.filter(organization=organization, role=role)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def ensure_demo_device(user) -> SealedTOTPDevice:
    """Give a demo user the demo authenticator (idempotent)."""
    if not user.memberships.filter(organization__is_demo=True).exists():
        raise ValueError("only users of demo organizations get the demo authenticator")
    if user.memberships.filter(organization__is_demo=False).exists():
        raise ValueError("a member of a real organization never gets the demo authenticator")
    device, _created = SealedTOTPDevice.objects.get_or_create(
        user=user,
        name=DEMO_DEVICE_NAME,
        defaults={"key": DEMO_TOTP_KEY.hex(), "confirmed": True},
    )
    return device


def demo_totp_code() -> str:
    """The six-digit code the demo authenticator shows now."""
    return f"{TOTP(DEMO_TOTP_KEY).token():06d}"
