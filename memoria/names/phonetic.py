"""A phonetic key for Spanish as written in Mexico.

Soundex and Metaphone were designed for English and split pairs that any
Mexican reader hears as the same name (Vázquez / Basquez, González / Gonzales,
Ximena / Jimena, Yolanda / Llolanda). The key here folds the confusions that
Spanish spelling actually produces:

* accents and ñ are dropped (``Núñez`` = ``Nunez``);
* ``h`` is silent, except in ``ch`` (so ``sh`` is ``s``: Shóchitl / Xóchitl);
* an initial ``ps`` is ``s`` (psicólogo / sicólogo);
* ``b`` / ``v`` / ``w`` sound alike -> ``B``;
* ``c`` before e/i, ``s``, ``z`` and ``x`` in ``xo``/``xó`` words sound alike
  -> ``S`` (seseo: Mexican Spanish has no θ);
* ``c`` before a/o/u, ``k``, ``qu`` -> ``K``;
* ``g`` before e/i, ``j`` and ``x`` -> ``J`` (Ximena / Jimena, México);
* ``gu`` before e/i -> ``G``, the u silent (Guillermo = GIYERMO, Miguel =
  MIGEL; a plain ``g`` there is ``J``: Gerardo = JERARDO);
* ``ll`` and ``y`` -> ``Y``; a final ``y`` is the vowel ``I`` (Eloy / Eloi);
* ``n`` before ``b``/``v``/``p`` -> ``M`` (Enviar / Embiar);
* double letters collapse (``rr``, ``ss``, ``cc`` after rewriting).

Vowels are kept: in Spanish they are written as they sound and they carry most
of the difference between common names (Ramos / Ramas / Romo).
"""

from __future__ import annotations

import re

from memoria.names.normalize import core_tokens, normalize_text

# Ordered rewrite rules, applied left to right on a normalized (a-z) word.
# Upper-case letters in the output mark already-rewritten sounds so that later
# rules do not touch them.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^ps", "s"),  # psicologo -> sicologo
        (r"ch", "C"),  # before the silent-h rule
        # sh is s with a silent h: Shochitl, Xochitl and Sochitl (x before o
        # below) all give SOCITL.
        (r"h", ""),
        (r"qu(?=[ei])", "K"),
        (r"q", "K"),
        (r"gu(?=[ei])", "G"),
        (r"g(?=[ei])", "J"),
        (r"c(?=[ei])", "S"),
        (r"x(?=[o])", "S"),  # Xochitl, Xochimilco: the Nahuatl x is s/sh
        (r"x", "J"),
        (r"[ck]", "K"),
        (r"[zs]", "S"),
        (r"j", "J"),
        (r"g", "G"),
        (r"ll", "Y"),
        (r"y$", "I"),
        (r"y", "Y"),
        (r"[vw]", "B"),
        (r"b", "B"),
        (r"n(?=[Bp])", "M"),
    )
)
_DOUBLES = re.compile(r"(.)\1+")


def phonetic_word(word: str) -> str:
    """Phonetic key of one word (already normalized or not).

    >>> phonetic_word("Vázquez") == phonetic_word("Basques")
    True
    """
    key = normalize_text(word).replace(" ", "")
    for pattern, replacement in _RULES:
        key = pattern.sub(replacement, key)
    key = _DOUBLES.sub(r"\1", key.upper())
    return key


def phonetic_key(text: str | None) -> str:
    """Phonetic key of a name, one key per core token joined by spaces.

    Particles are dropped first (``"de la Cruz"`` -> ``"KRUS"``), because lists
    often omit them.

    >>> phonetic_key("Hernández") == phonetic_key("ERNANDES")
    True
    """
    return " ".join(phonetic_word(t) for t in core_tokens(text))
