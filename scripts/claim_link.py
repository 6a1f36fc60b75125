#!/usr/bin/env python3
"""The "View and claim" link of the newest email to an address, from a local mail folder.

For the README's delivery walkthrough: a local SMTP server that keeps what it receives in a
Maildir (``python -m aiosmtpd -n -l 127.0.0.1:1025 -c aiosmtpd.handlers.Mailbox mail``) stands
in for the educator's mailbox, and this reads the link out of the message the way the educator
would click it::

    python scripts/claim_link.py mail --to ana.martinez@aps.nm.example --wait 30

It waits up to ``--wait`` seconds for a claim email to arrive (the service's job worker sends
it just after the award), prints the link of the newest one, and exits 1 if none came.
Standard library only: the message is parsed as a mail client would (MIME parts, any transfer
encoding), not grepped.
"""

from __future__ import annotations

import argparse
import mailbox
import re
import sys
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

_CLAIM = re.compile(r"https?://\S+?/claim/[A-Za-z0-9_-]+")


def claim_link(message: EmailMessage) -> str | None:
    """The claim link in the message's plain-text part (the HTML part has the same one)."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return None
    found = _CLAIM.search(part.get_content())
    return found.group(0) if found else None


def newest_link(folder: Path, to: str | None) -> str | None:
    """The claim link of the newest message (to ``to``, when given) in the Maildir ``folder``."""
    if not (folder / "new").is_dir():
        return None
    found: list[tuple[float, str]] = []
    for entry in mailbox.Maildir(folder, factory=None, create=False):
        parsed = _parse(entry.as_bytes())
        recipients = {address.lower() for _, address in getaddresses(parsed.get_all("To", []))}
        if to is not None and to.lower() not in recipients:
            continue
        link = claim_link(parsed)
        if link is not None:
            when = parsedate_to_datetime(parsed["Date"]).timestamp() if parsed["Date"] else 0.0
            found.append((when, link))
    return max(found)[1] if found else None


def _parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path, help="the Maildir the local SMTP server writes")
    parser.add_argument("--to", help="only messages to this address")
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for one (0)")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.wait
    while True:
        link = newest_link(args.folder, args.to)
        if link is not None:
            print(link)
            return 0
        if time.monotonic() >= deadline:
            print(f"no claim email in {args.folder}", file=sys.stderr)
            return 1
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
