"""FDI (ISO 3950) tooth numbers: the two digits forensic dentists write.

The first digit is the quadrant of the person's mouth (1 upper right, 2 upper
left, 3 lower left, 4 lower right; 5–8 the same for milk teeth), the second
the tooth counted from the midline (1–8 permanent, 1–5 milk teeth): 11 is the
upper right central incisor, 48 the lower right third molar.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PERMANENT = frozenset(f"{q}{t}" for q in "1234" for t in "12345678")
DECIDUOUS = frozenset(f"{q}{t}" for q in "5678" for t in "12345")
FDI_TEETH = PERMANENT | DECIDUOUS


def validate_fdi(value: str) -> None:
    """Refuse anything that is not an FDI tooth number (11–48, or 51–85 for milk teeth)."""
    if str(value).strip() not in FDI_TEETH:
        raise ValidationError(
            _("Write the tooth as its FDI number: 11 to 48, or 51 to 85 for milk teeth."),
            code="fdi",
        )
