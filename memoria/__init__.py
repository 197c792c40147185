"""Memoria: documentation, search, protection and truthful statistics for
civil-society networks confronting violence.

The computational engines (``memoria.names``, ``memoria.linkage``,
``memoria.mse``, ``memoria.geo``) import no Django and can be used on their own
from a notebook; the Django apps and the ``memoria`` command are clients of them.
"""

__version__ = "0.1.0.dev0"
