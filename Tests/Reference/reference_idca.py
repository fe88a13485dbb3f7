#!/usr/bin/env python3
"""A stand-in for `idca validate` built on the reference, to self-test differential.py.

    python3 reference_idca.py validate <kind> --today YYYY-MM-DD  < lines

Implements the stdin part of the CLI contract: a line is everything up to LF, a CR right
before the LF is dropped, nothing else is trimmed; one `VALID` / `INVALID:<reason>` line per
input; exit 0 if every input is valid, 1 if any is invalid, 2 on a usage error.
Set REFERENCE_IDCA_BREAK=<kind> to make it deliberately wrong for that kind (harness test).
"""

import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import identity_rules as R  # noqa: E402


def usage(message: str) -> int:
    print(f"usage: reference_idca.py validate <kind> --today YYYY-MM-DD: {message}", file=sys.stderr)
    return 2


def main(argv) -> int:
    if len(argv) != 4 or argv[0] != "validate" or argv[1] not in R.KINDS or argv[2] != "--today":
        return usage("bad arguments")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", argv[3]):
        return usage("bad date")
    kind, today = argv[1], datetime.date.fromisoformat(argv[3])
    broken = os.environ.get("REFERENCE_IDCA_BREAK") == kind
    regions = R.default_regions()
    data = sys.stdin.buffer.read()
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()                    # the final LF terminates the last line
    out = []
    all_valid = True
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        if broken:
            line = line.strip()        # a classic bug: silent trimming
        verdict = R.validate(kind, line, today, regions)
        all_valid = all_valid and verdict == "VALID"
        out.append(verdict)
    sys.stdout.write("".join(v + "\n" for v in out))
    return 0 if all_valid else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
