"""``memoria audit``: seal and verify the audit log's hash chain."""

from __future__ import annotations

import argparse
import contextlib


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="seal and verify the tamper-evident audit log",
        description="Commands for the audit log, whose entries are chained by HMAC-SHA256 "
        "under a key that only the master key opens.",
    )
    actions = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="re-hash every entry and report edited, deleted or reordered ones",
        description="Chain the entries written since the last sealing, then re-hash every "
        "audit entry in order (this needs the master key). Exit status 0 when the chain is "
        "intact, 1 when an entry was edited, deleted or reordered (each problem is named) or "
        "the master key does not open the audit key. "
        "Prints the newest entry's hash: note it somewhere else (on paper, in another "
        "organization's files) and pass it later with --expect-head to detect a cut-off end.",
    )
    verify.add_argument(
        "--expect-head",
        metavar="HASH",
        help="a head hash noted earlier: fail unless the chain still contains that entry",
    )
    verify.set_defaults(handler=run_verify)
    seal = actions.add_parser(
        "seal",
        help="chain the entries written since the last sealing",
        description="Chain the pending audit entries (the background worker does this every "
        "few seconds; run it from cron where no worker runs). Prints how many were sealed.",
    )
    seal.set_defaults(handler=run_seal)


def run_verify(args: argparse.Namespace) -> int:
    from memoria.cli.common import setup_django

    setup_django()
    from memoria.audit.log import Problem, head_digest, seal_pending, verify_chain
    from memoria.audit.models import AuditEntry
    from memoria.vault.keys import VaultError

    with contextlib.suppress(VaultError):  # the key cannot be opened: verify_chain says so
        seal_pending()
    count, problems = verify_chain()
    if args.expect_head and not AuditEntry.objects.filter(entry_hash=args.expect_head).exists():
        problems.append(
            Problem(
                None, None, f"no entry has the expected hash {args.expect_head}: the log was cut"
            )
        )
    for problem in problems:
        print(f"TAMPERED {problem}")
    if problems:
        print(f"Audit log: {count} entries checked, {len(problems)} problem(s) found.")
        return 1
    print(f"Audit log intact: {count} entries. Newest entry hash: {head_digest()}")
    return 0


def run_seal(args: argparse.Namespace) -> int:
    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from memoria.audit.log import seal_pending
    from memoria.vault.keys import VaultError

    try:
        sealed = seal_pending()
    except VaultError as error:
        raise CommandError(f"cannot seal the audit log: {error}") from None
    print(f"Sealed {sealed} audit entries.")
    return 0
