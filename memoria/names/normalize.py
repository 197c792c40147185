"""Text normalization for Spanish personal names.

Sources write the same name in many ways: ``JOSÉ LUIS``, ``Jose Luis``,
``jose-luis``, ``José L.``. Everything that compares names first passes through
:func:`normalize_text`, so that case, accents and punctuation never count as
evidence.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Particles that belong to the surname (or compound given name) that follows
# them: "de la Cruz", "del Río", "de los Santos". They are kept in the
# normalized surname but ignored by the matching keys, because many lists drop
# them ("Cruz" for "de la Cruz").
PARTICLES = frozenset(
    {"de", "del", "la", "las", "los", "y", "e", "san", "santa", "mc", "van", "von"}
)

# Words that join two surnames into one ("Ortega y Gasset").
JOINERS = frozenset({"y", "e"})

_NON_LETTERS = re.compile(r"[^a-z\s]")
_SPACES = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """Remove diacritics: ``"Núñez" -> "Nunez"``, ``"Güemes" -> "Guemes"``.

    The ñ becomes n because lists typed on English keyboards (and most official
    exports) already write NUNEZ; keeping ñ would make them disagree.
    """
    if text.isascii():  # most values in official exports: nothing to strip
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_text(text: str | None) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces.

    Hyphens and dots become spaces so that ``"Jose-Luis"`` and ``"J.L."`` split
    into tokens. Returns ``""`` for ``None`` or blank input.

    >>> normalize_text("  JOSÉ-Luis  Hernández, ")
    'jose luis hernandez'
    """
    if text is None:
        return ""
    return _normalize(str(text))


@lru_cache(maxsize=500_000)
def _normalize(text: str) -> str:
    # Cached: names repeat endlessly in lists (a million records hold a few
    # thousand distinct surnames).
    text = strip_accents(text).lower()
    text = _NON_LETTERS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def tokens(text: str | None) -> list[str]:
    """Normalized tokens of ``text`` (see :func:`normalize_text`)."""
    normalized = normalize_text(text)
    return normalized.split() if normalized else []


def core_tokens(text: str | None) -> list[str]:
    """Tokens without particles: ``"de la Cruz" -> ["cruz"]``.

    If the text is made only of particles (a surname really spelled "de la",
    which happens in badly split lists) the tokens are returned unchanged
    rather than dropping the whole name.
    """
    all_tokens = tokens(text)
    kept = [t for t in all_tokens if t not in PARTICLES]
    return kept or all_tokens


def is_initial(token: str) -> bool:
    """True for a one-letter token such as the ``L`` of ``"José L."``."""
    return len(token) == 1
