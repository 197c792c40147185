"""``memoria exchange``: signed, encrypted bundles between installations (docs/exchange.md)."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "exchange",
        help="exchange shared records with another installation",
        description="Send what a sharing agreement shares to another Memoria installation in "
        "a signed bundle encrypted for it, and import the bundles it sends (docs/exchange.md).",
    )
    actions = parser.add_subparsers(dest="exchange_command", required=True, metavar="ACTION")

    identity = actions.add_parser(
        "identity",
        help="this installation's id and fingerprint (created on first use)",
        description="Print this installation's id and the fingerprint of its public keys, to "
        "read to the partner's operator out of band (phone, in person).",
    )
    identity.add_argument(
        "--public-key-file", type=Path, metavar="PATH", help="write the public keys here"
    )
    identity.set_defaults(handler=run_identity)

    partner = actions.add_parser("partner", help="register or list partner installations")
    partner_actions = partner.add_subparsers(
        dest="partner_command", required=True, metavar="ACTION"
    )
    add = partner_actions.add_parser(
        "add",
        help="register another installation's public keys",
        description="Register a partner from its public key file. --fingerprint is what its "
        "operator read to you out of band: if it does not match the file, nothing is "
        "registered.",
    )
    add.add_argument("--name", required=True, help="how this installation calls the partner")
    add.add_argument("--key-file", required=True, type=Path, help="the partner's public keys")
    add.add_argument("--fingerprint", required=True, help="as the partner's operator read it")
    add.set_defaults(handler=run_partner_add)
    keys = partner_actions.add_parser(
        "replace-keys",
        help="trust a partner's new keys instead of its old ones (lost or stolen identity)",
        description="The partner made a new identity: register its new public keys, checked "
        "against the fingerprint its operator read to you. Its agreements stay; bundles "
        "signed with the old keys are refused from now on.",
    )
    keys.add_argument("--name", required=True, help="the partner's name here")
    keys.add_argument("--key-file", required=True, type=Path, help="its new public keys")
    keys.add_argument("--fingerprint", required=True, help="as the partner's operator read it")
    keys.set_defaults(handler=run_partner_replace_keys)
    listing = partner_actions.add_parser("list", help="list partner installations")
    listing.set_defaults(handler=run_partner_list)

    agreement = actions.add_parser(
        "agreement", help="register, list or revoke agreements with another installation"
    )
    agreement_actions = agreement.add_subparsers(
        dest="agreement_command", required=True, metavar="ACTION"
    )
    add = agreement_actions.add_parser(
        "add",
        help="register the terms of an agreement (outgoing: we share; incoming: we receive)",
        description="The sharing side registers the terms as outgoing and gives the printed "
        "uuid to the partner; the receiving side registers the same terms as incoming with "
        "--uuid: only then does it accept bundles under it, and only what the terms allow.",
    )
    add.add_argument("--org", required=True, metavar="SLUG", help="the local organization")
    add.add_argument("--partner", required=True, help="the partner installation's name")
    add.add_argument(
        "--partner-org", required=True, metavar="SLUG", help="the organization at the partner"
    )
    add.add_argument("--direction", required=True, choices=("outgoing", "incoming"))
    add.add_argument("--level", required=True, choices=("pseudonymized", "named"))
    add.add_argument(
        "--fields",
        action="append",
        required=True,
        metavar="KIND=FIELD,FIELD",
        help="e.g. cases.event=state,status (repeat for each kind)",
    )
    add.add_argument("--purpose", required=True, help="what for (name nobody)")
    add.add_argument("--until", required=True, metavar="YYYY-MM-DD", help="its last day")
    add.add_argument("--uuid", help="incoming: the uuid the sharing side printed")
    add.set_defaults(handler=run_agreement_add)
    listing = agreement_actions.add_parser("list", help="an organization's agreements")
    listing.add_argument("--org", required=True, metavar="SLUG")
    listing.set_defaults(handler=run_agreement_list)
    revoke = agreement_actions.add_parser(
        "revoke",
        help="end an agreement now",
        description="Outgoing: the next bundle tells the partner, whose copies are then "
        "deleted. Incoming: the copies received under it are deleted now.",
    )
    revoke.add_argument("--org", required=True, metavar="SLUG")
    revoke.add_argument("--agreement", required=True, type=int, metavar="ID")
    revoke.set_defaults(handler=run_agreement_revoke)

    export = actions.add_parser(
        "export",
        help="write a bundle of what an agreement shares, for its partner",
        description="A snapshot of the records the agreement shares now (bounded by consent), "
        "signed by this installation and encrypted for the partner. A revoked or expired "
        "agreement's bundle carries no record and tells the partner to delete its copies.",
    )
    export.add_argument("--org", required=True, metavar="SLUG")
    export.add_argument("--agreement", required=True, type=int, metavar="ID")
    export.add_argument("--to", required=True, metavar="PARTNER", help="the partner's name")
    export.add_argument("-o", "--out", required=True, type=Path, help="file to write")
    export.set_defaults(handler=run_export)

    imported = actions.add_parser(
        "import",
        help="import a bundle from a partner installation",
        description="Refuses a bundle not signed by a registered partner or not addressed to "
        "this installation, and records the refusal in the audit log of --org. Importing the "
        "same bundle twice changes nothing; an older bundle "
        "than one already applied is reported as a conflict and overwrites nothing "
        "(exit status 1).",
    )
    imported.add_argument("file", type=Path)
    imported.add_argument("--org", required=True, metavar="SLUG", help="the receiving organization")
    imported.set_defaults(handler=run_import)


def _setup():
    from memoria.cli.common import setup_django

    setup_django()


def _organization(slug: str):
    from memoria.cases.io.console import UnknownOrganization, organization_by_slug
    from memoria.cli.common import CommandError

    try:
        return organization_by_slug(slug)
    except UnknownOrganization as error:
        raise CommandError(str(error)) from error


def _errors():
    """The failures a subcommand reports as one line."""
    from django.db import DatabaseError

    from memoria.exchange.actions import ExchangeError
    from memoria.exchange.bundle import BundleError
    from memoria.vault.keys import VaultError

    return (ExchangeError, BundleError, VaultError, DatabaseError, OSError)


def run_identity(args: argparse.Namespace) -> int:
    _setup()
    from memoria.cli.common import CommandError
    from memoria.exchange.identity import identity_path, load_identity

    try:
        public = load_identity().public
        if args.public_key_file:
            args.public_key_file.write_text(public.to_json() + "\n", encoding="utf-8")
    except _errors() as error:
        raise CommandError(str(error)) from error
    print(f"Installation: {public.installation}")
    print(f"Fingerprint:  {public.fingerprint}")
    print(f"Private keys: {identity_path()}")
    if args.public_key_file:
        print(f"Public keys written to {args.public_key_file}")
    return 0


def run_partner_add(args: argparse.Namespace) -> int:
    _setup()
    from memoria.cli.common import CommandError
    from memoria.exchange.actions import add_partner
    from memoria.exchange.bundle import PublicKeys

    try:
        keys = PublicKeys.from_json(args.key_file.read_text(encoding="utf-8"))
        partner = add_partner(args.name, keys, args.fingerprint)
    except _errors() as error:
        raise CommandError(str(error)) from error
    print(f"Registered partner {partner.name}: installation {partner.installation}, "
          f"fingerprint {partner.fingerprint}.")  # fmt: skip
    return 0


def run_partner_replace_keys(args: argparse.Namespace) -> int:
    _setup()
    from memoria.cli.common import CommandError
    from memoria.exchange.actions import replace_partner_keys
    from memoria.exchange.bundle import PublicKeys

    partner = _partner(args.name)
    try:
        keys = PublicKeys.from_json(args.key_file.read_text(encoding="utf-8"))
        partner = replace_partner_keys(partner, keys, args.fingerprint)
    except _errors() as error:
        raise CommandError(str(error)) from error
    print(f"{partner.name} now has the keys of fingerprint {partner.fingerprint}; "
          "bundles signed with its old keys are refused.")  # fmt: skip
    return 0


def run_partner_list(args: argparse.Namespace) -> int:
    _setup()
    from memoria.exchange.models import Partner

    for partner in Partner.objects.all():
        print(f"{partner.name}\t{partner.installation}\t{partner.fingerprint}")
    return 0


def _fields(specs: list[str]) -> dict:
    from memoria.cli.common import CommandError

    fields = {}
    for spec in specs:
        kind, _, names = spec.partition("=")
        if not kind or not names:
            raise CommandError(f"--fields {spec!r}: write KIND=FIELD,FIELD")
        fields.setdefault(kind.strip(), []).extend(n.strip() for n in names.split(",") if n.strip())
    return fields


def _partner(name: str):
    from memoria.cli.common import CommandError
    from memoria.exchange.models import Partner

    partner = Partner.objects.filter(name=name).first()
    if partner is None:
        raise CommandError(f"there is no partner installation named {name!r}")
    return partner


def run_agreement_add(args: argparse.Namespace) -> int:
    _setup()
    from memoria.cli.common import CommandError
    from memoria.exchange.actions import add_agreement

    organization = _organization(args.org)
    try:
        until = datetime.date.fromisoformat(args.until)
    except ValueError:
        raise CommandError(f"--until {args.until!r} is not a date (YYYY-MM-DD)") from None
    try:
        agreement = add_agreement(
            organization,
            _partner(args.partner),
            direction=args.direction,
            partner_organization=args.partner_org,
            level=args.level,
            fields=_fields(args.fields),
            purpose=args.purpose,
            valid_until=until,
            uuid=args.uuid,
        )
    except _errors() as error:
        raise CommandError(str(error)) from error
    print(f"Agreement #{agreement.pk} ({agreement.direction}), uuid {agreement.uuid}")
    return 0


def _agreement(organization, agreement_id: int):
    from memoria.cli.common import CommandError
    from memoria.exchange.models import RemoteAgreement

    agreement = (
        RemoteAgreement.objects.select_related("partner", "organization")
        .filter(pk=agreement_id, organization=organization)
        .first()
    )
    if agreement is None:
        raise CommandError(f"{organization.slug} has no agreement #{agreement_id} with a partner")
    return agreement


def run_agreement_list(args: argparse.Namespace) -> int:
    _setup()
    organization = _organization(args.org)
    for agreement in organization.remote_agreements.select_related("partner").order_by("pk"):
        print(f"#{agreement.pk}\t{agreement.direction}\t{agreement.status}\t{agreement.uuid}\t"
              f"{agreement.partner.name}/{agreement.partner_organization}\t{agreement.level}\t"
              f"until {agreement.valid_until}\tsequence {agreement.sequence}")  # fmt: skip
    return 0


def run_agreement_revoke(args: argparse.Namespace) -> int:
    _setup()
    from memoria.cli.common import CommandError
    from memoria.exchange.actions import revoke_agreement

    organization = _organization(args.org)
    try:
        agreement = revoke_agreement(_agreement(organization, args.agreement))
    except _errors() as error:
        raise CommandError(str(error)) from error
    print(f"Agreement #{agreement.pk} revoked.")
    return 0


def _progress_console():
    from rich.console import Console

    from memoria.cases.io.console import progress_bar

    return Console(stderr=True), progress_bar


def run_export(args: argparse.Namespace) -> int:
    _setup()
    from memoria.cli.common import CommandError
    from memoria.exchange.actions import export_bundle
    from memoria.operations.files import write_whole_file

    organization = _organization(args.org)
    agreement = _agreement(organization, args.agreement)
    if agreement.partner.name != args.to:
        raise CommandError(
            f"agreement #{agreement.pk} is with {agreement.partner.name!r}, not {args.to!r}"
        )
    out: Path = args.out
    if out.is_dir() or not out.parent.is_dir():
        raise CommandError(f"cannot write {out}")
    console, progress_bar = _progress_console()

    def deliver(data: bytes) -> None:
        write_whole_file(out, lambda stream: stream.write(data))

    try:
        with progress_bar(console) as advance:
            sent = export_bundle(agreement, deliver, lambda d, t: advance("records", d, t))
    except _errors() as error:
        raise CommandError(f"nothing was exported to {out}: {error}") from error
    print(f"Wrote bundle {sent.bundle} (sequence {sent.sequence}, agreement {sent.status}, "
          f"{sent.records} records) to {out}.")  # fmt: skip
    return 0


def run_import(args: argparse.Namespace) -> int:
    _setup()
    from memoria.cli.common import CommandError
    from memoria.exchange.actions import import_bundle, record_refused_import
    from memoria.exchange.bundle import BundleError, read_bundle_file

    organization = _organization(args.org)
    console, progress_bar = _progress_console()
    try:
        try:
            data = read_bundle_file(args.file)
        except BundleError as error:  # too large: refused like any bundle, in --org's log
            record_refused_import(organization, error.code)
            raise
        with progress_bar(console) as advance:
            received = import_bundle(organization, data, lambda d, t: advance("records", d, t))
    except _errors() as error:
        raise CommandError(str(error)) from error
    if received.duplicate:
        print(f"Bundle {received.bundle} was already imported ({received.outcome}): "
              "nothing changed.")  # fmt: skip
        return 0
    if received.outcome == "conflict":
        print(f"CONFLICT: bundle {received.bundle} has sequence {received.sequence}, older than "
              f"sequence {received.applied_sequence} already applied; {received.conflicts} "
              "records in it differ from the copies held. Nothing was overwritten.")  # fmt: skip
        return 1
    if received.outcome == "ended":
        print(f"The agreement is {received.status}: {received.removed} copies deleted.")
        return 0
    print(f"Imported bundle {received.bundle} (sequence {received.sequence}): "
          f"{received.added} added, {received.updated} updated, {received.unchanged} unchanged, "
          f"{received.removed} removed.")  # fmt: skip
    if received.dropped_records or received.dropped_fields:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(received.dropped_records.items()))
        print(f"Dropped (not allowed by the agreement here): records: {kinds or 'none'}; "
              f"fields: {', '.join(received.dropped_fields) or 'none'}.")  # fmt: skip
    if received.terms_differ:
        print("Note: the sender's terms differ from those registered here; these were applied.")
    return 0
