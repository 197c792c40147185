"""The urgent-alert templates every organization starts with (translatable).

An organization edits a copy ("Use as a starting point" saves it as its own
template); these stay as they are, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    name: str
    subject: str
    body: str


def builtin_templates() -> list[BuiltinTemplate]:
    return [
        BuiltinTemplate(
            "threat",
            _("Threat against a defender or journalist"),
            _("URGENT ACTION: [who] has been threatened"),
            _(
                "On [date], in [municipality, state], [who], [defender / journalist] "
                "accompanied by our organization, received [describe the threat].\n\n"
                "We ask you to:\n"
                "1. Write to the authorities named below demanding protection measures.\n"
                "2. Share this alert with your networks.\n"
                "3. Tell us what you did.\n\n"
                "Authorities: [names and addresses]"
            ),
        ),
        BuiltinTemplate(
            "disappearance",
            _("Disappearance"),
            _("URGENT ACTION: [who] has disappeared"),
            _(
                "[who] was last seen on [date] in [place]. The family has reported the "
                "disappearance to [authority] (file [number]).\n\n"
                "We ask you to demand an immediate search and to share this alert.\n\n"
                "Contact of the organization: [contact]"
            ),
        ),
        BuiltinTemplate(
            "attack",
            _("Attack on a search brigade or collective"),
            _("URGENT ACTION: attack on [collective]"),
            _(
                "On [date], members of [collective] were [describe what happened] while "
                "[searching / working] in [place].\n\n"
                "We ask the network to stand with them: [what we ask]."
            ),
        ),
    ]
