"""Independent reference implementation of the idca identity-number rules.

Written from the text of issue 2 ("Identity rules: resident ID, organization code, unified
social credit code — and `idca validate`") only, as a differential-test oracle for the Swift
implementation. Python 3.11, standard library only. Clarity over speed: every rule is a plain
statement in the order the issue lists it.

    validate(kind, line, today) -> "VALID" | "INVALID:<reason>"

kind is one of "resident-id", "organization-code", "credit-code"; line is the candidate as
BYTES (one stdin line of `idca validate`, LF and a CR right before it already removed); today
is a datetime.date (the "today in Asia/Shanghai" the CLI receives with --today).
"""

from __future__ import annotations

import datetime
import os
import random

KINDS = ("resident-id", "organization-code", "credit-code")

# ---------------------------------------------------------------------------------------------
# Reason codes, in the order the issue lists them (the first that applies is reported).
# ---------------------------------------------------------------------------------------------

COMMON_REASONS = ("empty", "whitespace", "non_ascii", "separator")

REASONS = {
    "resident-id": COMMON_REASONS + (
        "legacy_15", "length", "format", "lowercase_x", "checksum",
        "birth_date", "birth_date_future", "birth_date_too_early", "region_unknown",
    ),
    "organization-code": COMMON_REASONS + (
        "length", "lowercase", "format", "check_char_format", "checksum",
        "reserved_custom_range",
    ),
    "credit-code": COMMON_REASONS + (
        "length", "lowercase", "format", "registration_authority", "division_format",
        "checksum", "org_code_checksum", "division_unknown",
    ),
}

# The Unicode White_Space property (PropList.txt), listed explicitly. Deliberately NOT
# str.isspace(), which also accepts U+001C..U+001F (information separators) — those are not
# White_Space. U+200B (ZERO WIDTH SPACE), U+FEFF and U+180E are not White_Space either.
WHITESPACE_CODEPOINTS = (
    list(range(0x0009, 0x000D + 1))     # TAB, LF, VT, FF, CR
    + [0x0020, 0x0085, 0x00A0, 0x1680]
    + list(range(0x2000, 0x200A + 1))   # EN QUAD .. HAIR SPACE
    + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)
WHITESPACE = frozenset(chr(c) for c in WHITESPACE_CODEPOINTS)

ASCII_DIGITS = "0123456789"
ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"

# ---------------------------------------------------------------------------------------------
# Region table (GB/T 2260): every code in it, current or historical, is "known".
# ---------------------------------------------------------------------------------------------

DEFAULT_REGIONS_PATH = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "Sources", "IDCARules", "Resources", "regions.tsv",
))


def load_regions(path: str = DEFAULT_REGIONS_PATH) -> dict[str, tuple[str, str]]:
    """Read regions.tsv strictly: header `code\\tname\\tstatus`, then code -> (name, status)."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "code\tname\tstatus":
        raise ValueError(f"{path}: unexpected header {lines[:1]!r}")
    regions: dict[str, tuple[str, str]] = {}
    for number, row in enumerate(lines[1:], start=2):
        fields = row.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{path}:{number}: expected 3 fields, got {row!r}")
        code, name, status = fields
        if len(code) != 6 or any(c not in ASCII_DIGITS for c in code):
            raise ValueError(f"{path}:{number}: bad code {code!r}")
        if status not in ("current", "historical"):
            raise ValueError(f"{path}:{number}: bad status {status!r}")
        if code in regions:
            raise ValueError(f"{path}:{number}: duplicate code {code}")
        regions[code] = (name, status)
    return regions


_default_regions: dict[str, tuple[str, str]] | None = None


def default_regions() -> dict[str, tuple[str, str]]:
    global _default_regions
    if _default_regions is None:
        _default_regions = load_regions()
    return _default_regions


# ---------------------------------------------------------------------------------------------
# Check characters, straight from the formulas in the issue.
# ---------------------------------------------------------------------------------------------

# GB 11643-1999, ISO 7064 MOD 11-2.
RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_CHECK_FOR_REMAINDER = "10X98765432"   # S mod 11 = 0..10  ->  1 0 X 9 8 7 6 5 4 3 2


def resident_check_char(first17: str) -> str:
    assert len(first17) == 17 and all(c in ASCII_DIGITS for c in first17)
    s = sum(int(c) * w for c, w in zip(first17, RESIDENT_WEIGHTS))
    return RESIDENT_CHECK_FOR_REMAINDER[s % 11]


# GB 11714-1997 organization code: values 0-9, A=10 .. Z=35.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_BODY_ALPHABET = ASCII_DIGITS + ASCII_UPPER


def org_char_value(c: str) -> int:
    return ORG_BODY_ALPHABET.index(c)   # '0'..'9' -> 0..9, 'A'..'Z' -> 10..35


def org_check_char(body: str) -> str:
    assert len(body) == 8 and all(c in ORG_BODY_ALPHABET for c in body)
    s = sum(org_char_value(c) * w for c, w in zip(body, ORG_WEIGHTS))
    c9 = 11 - (s % 11)                  # 1..11
    if c9 == 10:
        return "X"
    if c9 == 11:
        return "0"
    return str(c9)


# GB 32100-2015 unified social credit code.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"   # 31 characters, no I O Z S V
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_REGISTRATION_AUTHORITIES = "123456789ANY"
assert len(CREDIT_ALPHABET) == 31


def credit_check_char(first17: str) -> str:
    assert len(first17) == 17 and all(c in CREDIT_ALPHABET for c in first17)
    s = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    c18 = 31 - (s % 31)                 # 1..31
    if c18 == 31:
        return "0"
    return CREDIT_ALPHABET[c18]


# ---------------------------------------------------------------------------------------------
# Calendar (proleptic Gregorian, own arithmetic so that year 0000 is handled too).
# ---------------------------------------------------------------------------------------------

def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if is_leap_year(year) else 28
    if month in (4, 6, 9, 11):
        return 30
    return 31


def is_real_date(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= days_in_month(year, month)


EARLIEST_BIRTH = (1900, 1, 1)

# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

def common_reason(line: bytes) -> str | None:
    """empty -> whitespace -> non_ascii -> separator, for every kind."""
    if len(line) == 0:
        return "empty"
    decoded = line.decode("utf-8", errors="replace")
    if any(ch in WHITESPACE for ch in decoded):
        return "whitespace"
    if any(b >= 0x80 for b in line):
        return "non_ascii"
    if b"-" in line:
        return "separator"
    return None


def resident_id_reason(s: str, today: datetime.date, regions) -> str | None:
    if len(s) == 15 and all(c in ASCII_DIGITS for c in s):
        return "legacy_15"
    if len(s) != 18:
        return "length"
    if any(c not in ASCII_DIGITS for c in s[:17]) or s[17] not in ASCII_DIGITS + "Xx":
        return "format"
    if s[17] == "x":
        return "lowercase_x"
    if s[17] != resident_check_char(s[:17]):
        return "checksum"
    year, month, day = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not is_real_date(year, month, day):
        return "birth_date"
    if (year, month, day) > (today.year, today.month, today.day):
        return "birth_date_future"
    if (year, month, day) < EARLIEST_BIRTH:
        return "birth_date_too_early"
    if s[:6] not in regions:
        return "region_unknown"
    return None


def organization_code_reason(s: str) -> str | None:
    if len(s) != 9:
        return "length"
    if any(c in ASCII_LOWER for c in s):
        return "lowercase"
    body, check = s[:8], s[8]
    if any(c not in ORG_BODY_ALPHABET for c in body):
        return "format"
    if check not in ASCII_DIGITS + "X":
        return "check_char_format"
    if check != org_check_char(body):
        return "checksum"
    if body[:3] == "PDY" and all(c in ASCII_DIGITS for c in body[3:]) and 1 <= int(body[3:]) <= 99999:
        return "reserved_custom_range"
    return None


def credit_code_reason(s: str, regions) -> str | None:
    if len(s) != 18:
        return "length"
    if any(c in ASCII_LOWER for c in s):
        return "lowercase"
    if any(c not in CREDIT_ALPHABET for c in s):
        return "format"
    if s[0] not in CREDIT_REGISTRATION_AUTHORITIES:
        return "registration_authority"
    division = s[2:8]                    # positions 3..8
    if any(c not in ASCII_DIGITS for c in division):
        return "division_format"
    if s[17] != credit_check_char(s[:17]):
        return "checksum"
    org = s[8:17]                        # positions 9..17, a GB 11714 code
    if org[8] != org_check_char(org[:8]):   # body is [0-9A-Z] here; no reserved-range check
        return "org_code_checksum"
    if division not in regions:
        return "division_unknown"
    return None


def validate(kind: str, line: bytes, today: datetime.date, regions=None) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if regions is None:
        regions = default_regions()
    reason = common_reason(line)
    if reason is None:
        s = line.decode("ascii")         # safe: non_ascii already ruled out
        if kind == "resident-id":
            reason = resident_id_reason(s, today, regions)
        elif kind == "organization-code":
            reason = organization_code_reason(s)
        else:
            reason = credit_code_reason(s, regions)
    return "VALID" if reason is None else "INVALID:" + reason


def upgrade_legacy_15(s: str) -> str:
    """The documented 15 -> 18 conversion: insert "19" before YYMMDD, append the check char.
    (Not part of `validate`; its result is validated like any 18-digit number.)"""
    assert len(s) == 15 and all(c in ASCII_DIGITS for c in s)
    first17 = s[:6] + "19" + s[6:]
    return first17 + resident_check_char(first17)


# ---------------------------------------------------------------------------------------------
# Generators of well-formed numbers (used for valid corpora and as bases for mutations).
# ---------------------------------------------------------------------------------------------

def make_resident_id(region: str, birth: str, sequence: str) -> str:
    """Assemble region(6) + birth(8, any digits, not necessarily a real date) + sequence(3)
    + correct check character."""
    first17 = region + birth + sequence
    return first17 + resident_check_char(first17)


def random_birth_date(rng: random.Random, today: datetime.date,
                      earliest: datetime.date = datetime.date(1900, 1, 1)) -> datetime.date:
    return datetime.date.fromordinal(rng.randint(earliest.toordinal(), today.toordinal()))


def gen_resident_id(rng: random.Random, regions_list, today: datetime.date) -> str:
    """A VALID resident ID: known region, real birth date in [1900-01-01, today]."""
    region = rng.choice(regions_list)
    birth = random_birth_date(rng, today).strftime("%Y%m%d")
    sequence = f"{rng.randint(0, 999):03d}"
    return make_resident_id(region, birth, sequence)


def make_org_code(body: str) -> str:
    return body + org_check_char(body)


def is_reserved_org_body(body: str) -> bool:
    return body[:3] == "PDY" and body[3:].isdigit() and body[3:].isascii() and int(body[3:]) >= 1


def gen_org_code(rng: random.Random, body_alphabet: str = ORG_BODY_ALPHABET,
                 allow_reserved: bool = False) -> str:
    """A VALID organization code (body from body_alphabet, never in the PDY reserved range
    unless allow_reserved)."""
    while True:
        body = "".join(rng.choice(body_alphabet) for _ in range(8))
        if allow_reserved or not is_reserved_org_body(body):
            return make_org_code(body)


def make_credit_code(first17: str) -> str:
    return first17 + credit_check_char(first17)


def gen_credit_code(rng: random.Random, regions_list) -> str:
    """A VALID credit code: authority in 1-9/A/N/Y, any category character, known division,
    a GB 11714-valid organization code drawn from the 31-character alphabet, correct C18."""
    authority = rng.choice(CREDIT_REGISTRATION_AUTHORITIES)
    category = rng.choice(CREDIT_ALPHABET)
    division = rng.choice(regions_list)
    org = gen_org_code(rng, body_alphabet=CREDIT_ALPHABET, allow_reserved=True)
    return make_credit_code(authority + category + division + org)
