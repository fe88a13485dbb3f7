#!/usr/bin/env python3
"""Differential test: `idca validate` against the independent reference in identity_rules.py.

Usage:
    python3 differential.py --idca PATH_TO_IDCA_BINARY [--count N] [--seed S] [--today YYYY-MM-DD]
                            [--kinds resident-id,organization-code,credit-code]
                            [--regions PATH] [--dump DIR] [--timeout SECONDS]

For each kind it builds a deterministic mixed corpus of N lines (valid numbers plus many kinds
of mutation and junk), pipes it LF-separated with a final LF to

    IDCA validate <kind> --today <date>

on stdin, and compares stdout (one `VALID` / `INVALID:<reason>` line per input) with the
reference, line by line. Exit status 0 only when every line agrees, the output has exactly one
LF-terminated line per input, the CLI's exit status is the documented one (0 all valid, 1 any
invalid), and every reason code of every kind (and VALID) was produced by the corpus.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import re
import subprocess
import sys

import random

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import identity_rules as R  # noqa: E402

DEFAULT_TODAY = "2026-11-29"
DEFAULT_COUNT = 200_000
DEFAULT_SEED = 20261129

# ---------------------------------------------------------------------------------------------
# Pieces used by mutations
# ---------------------------------------------------------------------------------------------

def u(cp: int) -> bytes:
    return chr(cp).encode("utf-8")


# Every White_Space scalar except LF (a line cannot contain LF).
WHITESPACE_PIECES = [u(cp) for cp in R.WHITESPACE_CODEPOINTS if cp != 0x0A]
# The ones the brief names explicitly, weighted up.
COMMON_WHITESPACE_PIECES = [b" ", b"\t", u(0x00A0), u(0x3000), u(0x2028), b"\r", b"  "]
# Look like whitespace but are not White_Space: ASCII ones give `format`/`length`, others `non_ascii`.
NEAR_WHITESPACE_PIECES = [u(0x200B), u(0xFEFF), u(0x180E), u(0x2060), u(0x00AD), u(0x3164),
                          b"\x1c", b"\x1d", b"\x1e", b"\x1f", b"\x00", b"\x7f", b"\x08"]
FULLWIDTH_DIGITS = [u(0xFF10 + d) for d in range(10)]
OTHER_UNICODE_CHARS = (
    [u(0xFF38), u(0xFF58), u(0xFF21), "万".encode(), "一".encode(), "〇".encode(), "Ⅹ".encode()]
    + [u(0x0660 + d) for d in range(10)]          # Arabic-Indic digits
    + [u(0x0966), u(0x00B2), u(0x00B9), u(0x2460)]  # Devanagari 0, superscripts, circled 1
    + [u(0x00E9), u(0x0130), u(0x212A), u(0x00DF)]  # é, İ, KELVIN SIGN, ß
)
UNICODE_DASHES = [u(cp) for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFF0D, 0xFE63)]
INVALID_UTF8 = [
    b"\x80", b"\xbf", b"\xff", b"\xfe", b"\xc0\xaf", b"\xc0\xa0",   # lone continuation, overlong '/' and ' '
    b"\xc1\x80", b"\xed\xa0\x80", b"\xed\xbf\xbf",                 # overlong, surrogates
    b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80",
    b"\xc2", b"\xe3\x80", b"\xe2\x80", b"\xf0\x9f\x98",           # truncated sequences
    b"\x85", b"\xa0",                                             # NEL / NBSP as raw Latin-1 bytes
]
# Invalid prefix followed by a real whitespace scalar: still `whitespace` after replacement.
INVALID_THEN_WHITESPACE = [b"\xe3\x80" + u(0x3000), b"\xc2" + u(0x00A0), b"\xe2\x80" + u(0x2028),
                           b"\xff ", b"\xe3\t", b"\xc2\xc2\x85", b"\xf0\x9f\x98\r"]
ASCII_PUNCT = [bytes([c]) for c in b"!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~"]
ASCII_CONTROLS = [bytes([c]) for c in list(range(0x00, 0x20)) + [0x7F] if c != 0x0A]
ASCII_DIGIT_BYTES = [bytes([c]) for c in b"0123456789"]
ASCII_UPPER_BYTES = [bytes([c]) for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
ASCII_LOWER_BYTES = [bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyz"]


def sanitize(line: bytes) -> bytes:
    """No LF inside a line; no CR at the very end (the CLI drops a CR right before LF)."""
    line = line.replace(b"\n", b"\r")
    if line.endswith(b"\r"):
        line += b"0"
    return line


# ---------------------------------------------------------------------------------------------
# Generic mutations on bytes
# ---------------------------------------------------------------------------------------------

def substitute(rng, s: bytes, pool) -> bytes:
    i = rng.randrange(len(s))
    return s[:i] + rng.choice(pool) + s[i + 1:]


def transpose(rng, s: bytes) -> bytes:
    if len(s) < 2:
        return s
    i = rng.randrange(len(s) - 1)
    for _ in range(5):                         # prefer a swap that changes something
        if s[i] != s[i + 1]:
            break
        i = rng.randrange(len(s) - 1)
    return s[:i] + s[i + 1:i + 2] + s[i:i + 1] + s[i + 2:]


def insert(rng, s: bytes, piece: bytes, at: int | None = None) -> bytes:
    i = rng.randrange(len(s) + 1) if at is None else at
    return s[:i] + piece + s[i:]


def insert_or_replace(rng, s: bytes, pool) -> bytes:
    piece = rng.choice(pool)
    if rng.random() < 0.5:
        return insert(rng, s, piece)
    return substitute(rng, s, [piece])


def fullwidth(rng, s: bytes) -> bytes:
    """Turn one, several or all ASCII digits into full-width digits."""
    mode = rng.random()
    positions = [i for i, c in enumerate(s) if 0x30 <= c <= 0x39]
    if not positions:
        return s + rng.choice(FULLWIDTH_DIGITS)
    if mode < 0.4:
        chosen = {rng.choice(positions)}
    elif mode < 0.7:
        chosen = set(rng.sample(positions, rng.randint(1, len(positions))))
    else:
        chosen = set(positions)
    out = bytearray()
    for i, c in enumerate(s):
        if i in chosen:
            out += FULLWIDTH_DIGITS[c - 0x30]
        else:
            out.append(c)
    if rng.random() < 0.2 and out[-1:] in (b"X", b"x"):
        out = out[:-1] + u(0xFF38)
    return bytes(out)


def truncate_or_extend(rng, s: bytes, extra_pool) -> bytes:
    r = rng.random()
    if r < 0.35:                                      # cut the end
        return s[:rng.randrange(len(s))]
    if r < 0.5:                                       # drop one inner char
        i = rng.randrange(len(s))
        return s[:i] + s[i + 1:]
    if r < 0.85:                                      # append 1..3
        return s + b"".join(rng.choice(extra_pool) for _ in range(rng.randint(1, 3)))
    i = rng.randrange(len(s) + 1)                     # insert one inside
    return s[:i] + rng.choice(extra_pool) + s[i:]


def junk(rng, alphabet_pool) -> bytes:
    """Random bytes: alphabet chars, ASCII, controls, high bytes, Unicode pieces, CR inside."""
    n = rng.choice([rng.randint(0, 25), rng.randint(14, 20)])
    out = b""
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            out += rng.choice(alphabet_pool)
        elif r < 0.6:
            out += bytes([rng.randint(0x20, 0x7E)])
        elif r < 0.67:
            out += rng.choice(ASCII_CONTROLS)
        elif r < 0.8:
            out += bytes([rng.randint(0x80, 0xFF)])
        elif r < 0.87:
            out += rng.choice(INVALID_UTF8)
        elif r < 0.94:
            out += rng.choice(OTHER_UNICODE_CHARS + FULLWIDTH_DIGITS + NEAR_WHITESPACE_PIECES)
        else:
            out += rng.choice(WHITESPACE_PIECES + INVALID_THEN_WHITESPACE)
    return out


def common_faults(rng, s: bytes) -> bytes:
    """Stack 1..3 common faults (whitespace, non-ASCII, invalid UTF-8, hyphen) to test their order."""
    pools = [WHITESPACE_PIECES, NEAR_WHITESPACE_PIECES, FULLWIDTH_DIGITS + OTHER_UNICODE_CHARS,
             INVALID_UTF8, INVALID_THEN_WHITESPACE, [b"-"], UNICODE_DASHES, [b"-", b"--"]]
    for pool in rng.sample(pools, rng.randint(1, 3)):
        s = insert_or_replace(rng, s, pool) if s else rng.choice(pool)
    return s


# ---------------------------------------------------------------------------------------------
# Corpus: resident ID
# ---------------------------------------------------------------------------------------------

class Context:
    def __init__(self, rng, today, regions):
        self.rng = rng
        self.today = today
        self.regions = regions
        self.regions_list = sorted(regions)

    def unknown_region(self) -> str:
        rng = self.rng
        while True:
            r = rng.random()
            if r < 0.4:                                # neighbour of a known code
                base = int(rng.choice(self.regions_list))
                code = f"{(base + rng.choice([-2, -1, 1, 2, 50, 99])) % 1_000_000:06d}"
            elif r < 0.5:
                code = rng.choice(["000000", "999999", "100000", "110199", "660000", "900000",
                                   "830001", "710001", "000001"])
            else:
                code = f"{rng.randrange(1_000_000):06d}"
            if code not in self.regions:
                return code

    def region(self) -> str:
        return self.rng.choice(self.regions_list)


def shift_date(d: datetime.date, days: int) -> datetime.date | None:
    try:
        return d + datetime.timedelta(days=days)
    except OverflowError:
        return None


def bad_date_strings(rng) -> str:
    """YYYYMMDD strings that are not real calendar dates."""
    y = rng.choice([rng.randint(1900, 2030), 1900, 2000, 2100, 1899, 0, 9999, 1950, 2023, 2026])
    r = rng.random()
    if r < 0.15:
        return f"{y:04d}00{rng.randint(1, 28):02d}"                      # month 00
    if r < 0.3:
        return f"{y:04d}{rng.choice([13, 14, 19, 20, 99]):02d}{rng.randint(1, 28):02d}"
    if r < 0.45:
        return f"{y:04d}{rng.randint(1, 12):02d}00"                      # day 00
    if r < 0.6:
        return f"{y:04d}{rng.randint(1, 12):02d}{rng.choice([32, 33, 40, 99]):02d}"
    if r < 0.72:
        return f"{y:04d}{rng.choice([4, 6, 9, 11]):02d}31"               # 31 in a 30-day month
    if r < 0.8:
        return f"{y:04d}02{rng.choice([30, 31]):02d}"
    # 29 February of a non-leap year
    y = rng.choice([1900, 1901, 1999, 2001, 2019, 2021, 2022, 2023, 2025, 2026, 2027, 2100, 1899,
                    1800, 2200, 9999, 1, 1700])
    if R.is_leap_year(y):
        y += 1
    return f"{y:04d}0229"


def edge_date_strings(ctx: Context) -> str:
    """Real dates around the limits: today, tomorrow, 1900-01-01, 1899-12-31, leap days..."""
    rng, today = ctx.rng, ctx.today
    choices = [
        lambda: shift_date(today, 0),
        lambda: shift_date(today, 1),
        lambda: shift_date(today, -1),
        lambda: shift_date(today, rng.randint(2, 40000)),
        lambda: datetime.date(1900, 1, 1),
        lambda: datetime.date(1899, 12, 31),
        lambda: datetime.date(1900, 1, 2),
        lambda: datetime.date(rng.randint(1, 1899), rng.randint(1, 12), rng.randint(1, 28)),
        lambda: datetime.date(9999, 12, 31),
        lambda: datetime.date(1, 1, 1),
        lambda: datetime.date(rng.choice([1904, 1996, 2000, 2004, 2024, 2028, 2400, 1896, 1600]), 2, 29),
        lambda: datetime.date(today.year, 12, 31),
        lambda: datetime.date(today.year, 1, 1),
        lambda: shift_date(datetime.date(today.year + 1, 1, 1) if today.year < 9999 else today, 0),
    ]
    while True:
        d = rng.choice(choices)()
        if d is not None:
            break
    if rng.random() < 0.05:
        return rng.choice(["00000229", "00000101", "00001231", "00000228"])   # year 0000
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def resident_generators(ctx: Context):
    rng, today = ctx.rng, ctx.today
    seq = lambda: f"{rng.randint(0, 999):03d}"  # noqa: E731

    def valid():
        return R.gen_resident_id(rng, ctx.regions_list, today).encode()

    def valid_x():
        while True:
            s = R.gen_resident_id(rng, ctx.regions_list, today)
            if s[-1] == "X":
                return s.encode()

    def lowercase_x():
        if rng.random() < 0.6:
            return valid_x()[:-1] + b"x"
        return valid()[:-1] + b"x"                     # x where the check is not X

    def substitution():
        pool = ASCII_DIGIT_BYTES * 6 + [b"X", b"x", b"A", b"O", b"l", b"I"] + ASCII_PUNCT[:6] + [b"\x00"]
        return substitute(rng, valid(), pool)

    def transposition():
        return transpose(rng, valid())

    def whitespace():
        pool = COMMON_WHITESPACE_PIECES * 3 + WHITESPACE_PIECES + INVALID_THEN_WHITESPACE
        s = insert_or_replace(rng, valid(), pool)
        if rng.random() < 0.2:                        # surrounding spaces
            s = rng.choice([b" ", b"\t", u(0x3000)]) + s
        return s

    def non_ascii():
        r = rng.random()
        if r < 0.5:
            return fullwidth(rng, valid())
        if r < 0.75:
            return insert_or_replace(rng, valid(), OTHER_UNICODE_CHARS + NEAR_WHITESPACE_PIECES)
        return insert_or_replace(rng, valid(), INVALID_UTF8)

    def hyphen():
        s = valid()
        r = rng.random()
        if r < 0.4:
            return s[:6] + b"-" + s[6:14] + b"-" + s[14:]
        if r < 0.7:
            return insert(rng, s, b"-")
        if r < 0.85:
            return insert_or_replace(rng, s, UNICODE_DASHES)
        return rng.choice([b"-", b"-" + s, s[:17] + b"-"])

    def length():
        return truncate_or_extend(rng, valid(), ASCII_DIGIT_BYTES + [b"X", b"x"])

    def legacy15():
        r = rng.random()
        d = R.random_birth_date(rng, today)
        s = (ctx.region() + d.strftime("%y%m%d") + seq()).encode()
        if r < 0.75:
            return s
        if r < 0.85:
            return s[:14] + b"X"                       # 15 chars but not all digits -> length
        if r < 0.95:
            return R.upgrade_legacy_15(s.decode()).encode() if d.year >= 1900 else s
        return s[:14]

    def bad_date():
        return R.make_resident_id(ctx.region(), bad_date_strings(rng), seq()).encode()

    def edge_date():
        region = ctx.region() if rng.random() < 0.9 else ctx.unknown_region()
        return R.make_resident_id(region, edge_date_strings(ctx), seq()).encode()

    def unknown_region():
        birth = R.random_birth_date(rng, today).strftime("%Y%m%d")
        return R.make_resident_id(ctx.unknown_region(), birth, seq()).encode()

    def ordering():
        """Several faults at once, each designed so only the order decides the reason."""
        r = rng.randrange(10)
        if r == 0:   # checksum + bad date + unknown region -> checksum
            s = R.make_resident_id(ctx.unknown_region(), bad_date_strings(rng), seq())
            return (s[:17] + rng.choice([c for c in "0123456789X" if c != s[17]])).encode()
        if r == 1:   # bad date + unknown region -> birth_date
            return R.make_resident_id(ctx.unknown_region(), bad_date_strings(rng), seq()).encode()
        if r == 2:   # future + unknown region -> birth_date_future
            d = shift_date(today, rng.randint(1, 3000)) or today
            return R.make_resident_id(ctx.unknown_region(), d.strftime("%Y%m%d"), seq()).encode()
        if r == 3:   # too early + unknown region -> birth_date_too_early
            return R.make_resident_id(ctx.unknown_region(), f"{rng.randint(1000, 1899)}0101", seq()).encode()
        if r == 4:   # lowercase x + wrong check + bad date -> lowercase_x
            return R.make_resident_id(ctx.unknown_region(), bad_date_strings(rng), seq())[:17].encode() + b"x"
        if r == 5:   # letters in the first 17 plus x -> format
            return substitute(rng, valid()[:17], ASCII_UPPER_BYTES + ASCII_LOWER_BYTES) + b"x"
        if r == 6:   # 15 chars with whitespace / non-ascii -> common reason first
            return common_faults(rng, valid()[:15])
        if r == 7:   # hyphen + bad length + letters -> separator
            return insert(rng, substitute(rng, valid()[:rng.randint(1, 20)], ASCII_LOWER_BYTES), b"-")
        if r == 8:   # last char not 0-9/X/x -> format
            return valid()[:17] + rng.choice(ASCII_UPPER_BYTES + ASCII_LOWER_BYTES + ASCII_PUNCT + ASCII_CONTROLS)
        return common_faults(rng, valid())

    def random_digits():
        n = rng.choice([18, 18, 18, 17, 15, 16, 19, 14])
        return "".join(rng.choice("0123456789") for _ in range(n)).encode()

    def random_junk():
        return junk(rng, ASCII_DIGIT_BYTES + [b"X", b"x"])

    def empty():
        return b""

    return [
        (valid, 20), (valid_x, 2), (lowercase_x, 3), (substitution, 8), (transposition, 6),
        (whitespace, 5), (non_ascii, 5), (hyphen, 4), (length, 5), (legacy15, 4),
        (bad_date, 6), (edge_date, 8), (unknown_region, 5), (ordering, 8), (random_digits, 4),
        (random_junk, 6), (empty, 1),
    ]


# ---------------------------------------------------------------------------------------------
# Corpus: organization code
# ---------------------------------------------------------------------------------------------

def organization_generators(ctx: Context):
    rng = ctx.rng
    body_pool = [c.encode() for c in R.ORG_BODY_ALPHABET]
    check_pool = ASCII_DIGIT_BYTES + [b"X"]

    def gen_valid() -> bytes:
        return R.gen_org_code(rng).encode()

    def valid():
        r = rng.random()
        if r < 0.5:
            return gen_valid()
        if r < 0.8:                                   # digits only, like most real codes
            return R.gen_org_code(rng, body_alphabet=R.ASCII_DIGITS).encode()
        while True:                                   # check character X
            s = gen_valid()
            if s.endswith(b"X"):
                return s

    def substitution():
        pool = body_pool * 2 + [b"x", b"a", b"z", b"*", b"_", b"\x00"]
        return substitute(rng, valid(), pool)

    def transposition():
        return transpose(rng, valid())

    def lowercase():
        s = valid()
        r = rng.random()
        if r < 0.5 and any(65 <= c <= 90 for c in s):
            return bytes(c + 32 if 65 <= c <= 90 and rng.random() < 0.6 else c for c in s) \
                if rng.random() < 0.5 else s.lower()
        if r < 0.8:
            return substitute(rng, s, ASCII_LOWER_BYTES)
        return s[:8] + b"x"

    def whitespace():
        pool = COMMON_WHITESPACE_PIECES * 3 + WHITESPACE_PIECES + INVALID_THEN_WHITESPACE
        return insert_or_replace(rng, valid(), pool)

    def non_ascii():
        r = rng.random()
        if r < 0.4:
            return fullwidth(rng, valid())
        if r < 0.7:
            return insert_or_replace(rng, valid(), OTHER_UNICODE_CHARS + NEAR_WHITESPACE_PIECES)
        return insert_or_replace(rng, valid(), INVALID_UTF8)

    def hyphen():
        s = valid()
        r = rng.random()
        if r < 0.6:
            return s[:8] + b"-" + s[8:]                # the printed form XXXXXXXX-X
        if r < 0.8:
            return insert(rng, s, b"-")
        return insert_or_replace(rng, s, UNICODE_DASHES)

    def length():
        return truncate_or_extend(rng, valid(), body_pool)

    def check_char_format():
        body = valid()[:8]
        pool = [c for c in ASCII_UPPER_BYTES if c != b"X"] + ASCII_PUNCT + ASCII_CONTROLS
        return body + rng.choice(pool)

    def body_format():
        s = valid()
        i = rng.randrange(8)
        s = s[:i] + rng.choice(ASCII_PUNCT + ASCII_CONTROLS) + s[i + 1:]
        if rng.random() < 0.3:
            s = s[:8] + rng.choice(ASCII_UPPER_BYTES + ASCII_PUNCT)   # also a bad check char
        return s

    def checksum():
        s = valid()
        return s[:8] + rng.choice([c for c in check_pool if c != s[8:9]])

    def reserved():
        r = rng.random()
        if r < 0.5:
            body = "PDY" + f"{rng.randint(1, 99999):05d}"
        elif r < 0.7:
            body = "PDY" + rng.choice(["00000", "00001", "99999", "00002", "99998", "10000"])
        elif r < 0.9:                                 # near misses, not reserved
            body = rng.choice(["PDZ", "PDX", "QDY", "PEY", "ODY", "PD0", "DPY", "YDP"]) + f"{rng.randint(0, 99999):05d}"
            if rng.random() < 0.5:
                body = "PDY" + "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))
        else:
            body = "PDY" + f"{rng.randint(0, 99999):05d}"
            good = R.org_check_char(body)
            return (body + rng.choice([c for c in "0123456789X" if c != good])).encode()   # checksum first
        s = R.make_org_code(body).encode()
        if rng.random() < 0.05:
            s = s.lower()                             # lowercase before everything else
        return s

    def ordering():
        r = rng.randrange(6)
        s = valid()
        if r == 0:   # lowercase body char + bad check char -> lowercase
            return substitute(rng, s[:8], ASCII_LOWER_BYTES) + rng.choice(ASCII_PUNCT)
        if r == 1:   # bad body + bad check char -> format
            return substitute(rng, s[:8], ASCII_PUNCT) + rng.choice(ASCII_UPPER_BYTES)
        if r == 2:   # bad check char format on a reserved body -> check_char_format
            return b"PDY" + f"{rng.randint(1, 99999):05d}".encode() + rng.choice(ASCII_UPPER_BYTES[:23])
        if r == 3:   # length wins over lowercase
            return s.lower() + rng.choice(ASCII_LOWER_BYTES)
        return common_faults(rng, s)

    def random_chars():
        n = rng.choice([9, 9, 9, 8, 10])
        return b"".join(rng.choice(body_pool) for _ in range(n))

    def random_junk():
        return junk(rng, body_pool)

    def empty():
        return b""

    return [
        (valid, 20), (substitution, 8), (transposition, 6), (lowercase, 5), (whitespace, 5),
        (non_ascii, 5), (hyphen, 4), (length, 5), (check_char_format, 4), (body_format, 4),
        (checksum, 5), (reserved, 6), (ordering, 6), (random_chars, 4), (random_junk, 6),
        (empty, 1),
    ]


# ---------------------------------------------------------------------------------------------
# Corpus: unified social credit code
# ---------------------------------------------------------------------------------------------

def credit_generators(ctx: Context):
    rng = ctx.rng
    alpha_pool = [c.encode() for c in R.CREDIT_ALPHABET]
    letters_in_alphabet = [c for c in R.CREDIT_ALPHABET if c.isalpha()]
    forbidden = [b"I", b"O", b"Z", b"S", b"V"]
    bad_authorities = [c for c in R.CREDIT_ALPHABET if c not in R.CREDIT_REGISTRATION_AUTHORITIES]

    def gen_valid() -> str:
        return R.gen_credit_code(rng, ctx.regions_list)

    def valid():
        r = rng.random()
        if r < 0.8:
            return gen_valid().encode()
        if r < 0.9:                                   # embedded org code in the PDY range: still valid
            s = gen_valid()
            body = "PDY" + f"{rng.randint(0, 99999):05d}"
            return R.make_credit_code(s[:8] + R.make_org_code(body)).encode()
        s = gen_valid()                               # digit-only org code
        org = R.gen_org_code(rng, body_alphabet=R.ASCII_DIGITS)
        return R.make_credit_code(s[:8] + org).encode()

    def recompute(first17: str) -> bytes:
        return R.make_credit_code(first17).encode()

    def substitution():
        pool = alpha_pool * 2 + forbidden + [b"a", b"y", b"x", b"*", b"\x00"]
        return substitute(rng, valid(), pool)

    def transposition():
        return transpose(rng, valid())

    def lowercase():
        s = valid()
        r = rng.random()
        if r < 0.4:
            return s.lower()
        if r < 0.8:
            return substitute(rng, s, ASCII_LOWER_BYTES)
        return s[:1].lower() + s[1:]

    def forbidden_letters():
        s = substitute(rng, valid(), forbidden)
        if rng.random() < 0.3:
            s = substitute(rng, s, forbidden)
        return s

    def whitespace():
        pool = COMMON_WHITESPACE_PIECES * 3 + WHITESPACE_PIECES + INVALID_THEN_WHITESPACE
        return insert_or_replace(rng, valid(), pool)

    def non_ascii():
        r = rng.random()
        if r < 0.4:
            return fullwidth(rng, valid())
        if r < 0.7:
            return insert_or_replace(rng, valid(), OTHER_UNICODE_CHARS + NEAR_WHITESPACE_PIECES)
        return insert_or_replace(rng, valid(), INVALID_UTF8)

    def hyphen():
        s = valid()
        r = rng.random()
        if r < 0.4:
            return s[:8] + b"-" + s[8:16] + b"-" + s[16:]
        if r < 0.8:
            return insert(rng, s, b"-")
        return insert_or_replace(rng, s, UNICODE_DASHES)

    def length():
        return truncate_or_extend(rng, valid(), alpha_pool)

    def authority():
        s = valid().decode()
        first17 = rng.choice(bad_authorities) + s[1:17]
        if rng.random() < 0.8:
            return recompute(first17)
        return (first17 + s[17]).encode()

    def division_format():
        s = list(valid().decode()[:17])
        for _ in range(rng.randint(1, 3)):
            s[rng.randint(2, 7)] = rng.choice(letters_in_alphabet)
        return recompute("".join(s))

    def checksum():
        s = valid().decode()
        return (s[:17] + rng.choice([c for c in R.CREDIT_ALPHABET if c != s[17]])).encode()

    def org_checksum():
        s = valid().decode()
        good = R.org_check_char(s[8:16])
        bad = rng.choice([c for c in R.CREDIT_ALPHABET if c != good])
        return recompute(s[:16] + bad)

    def division_unknown():
        s = valid().decode()
        return recompute(s[:2] + ctx.unknown_region() + s[8:17])

    def ordering():
        r = rng.randrange(8)
        s = valid().decode()
        if r == 0:   # unknown division + bad org check -> org_code_checksum
            good = R.org_check_char(s[8:16])
            bad = rng.choice([c for c in R.CREDIT_ALPHABET if c != good])
            return recompute(s[:2] + ctx.unknown_region() + s[8:16] + bad)
        if r == 1:   # bad C18 + bad org + unknown division -> checksum
            good = R.org_check_char(s[8:16])
            first17 = s[:2] + ctx.unknown_region() + s[8:16] + rng.choice([c for c in "0123456789X" if c != good])
            c18 = R.credit_check_char(first17)
            return (first17 + rng.choice([c for c in R.CREDIT_ALPHABET if c != c18])).encode()
        if r == 2:   # bad authority + letters in division -> registration_authority
            return (rng.choice(bad_authorities) + s[1:3] + "A" + s[4:]).encode()
        if r == 3:   # forbidden letter + lowercase -> lowercase
            return substitute(rng, substitute(rng, s.encode(), forbidden), ASCII_LOWER_BYTES)
        if r == 4:   # forbidden letter + bad authority -> format
            return (rng.choice(bad_authorities) + s[1:10] + "O" + s[11:]).encode()
        if r == 5:   # letters in division + bad C18 -> division_format
            return (s[:4] + "AB" + s[6:17] + ("0" if s[17] != "0" else "1")).encode()
        if r == 6:   # bad org check char that is a letter (not X) -> org_code_checksum
            return recompute(s[:16] + rng.choice([c for c in letters_in_alphabet if c != "X"]))
        return common_faults(rng, s.encode())

    def random_chars():
        n = rng.choice([18, 18, 18, 17, 19])
        return b"".join(rng.choice(alpha_pool) for _ in range(n))

    def random_junk():
        return junk(rng, alpha_pool)

    def empty():
        return b""

    return [
        (valid, 20), (substitution, 8), (transposition, 6), (lowercase, 4), (forbidden_letters, 4),
        (whitespace, 5), (non_ascii, 5), (hyphen, 4), (length, 5), (authority, 4),
        (division_format, 4), (checksum, 5), (org_checksum, 5), (division_unknown, 5),
        (ordering, 8), (random_chars, 4), (random_junk, 6), (empty, 1),
    ]


GENERATORS = {
    "resident-id": resident_generators,
    "organization-code": organization_generators,
    "credit-code": credit_generators,
}


def build_corpus(kind: str, count: int, seed, today: datetime.date, regions) -> list[bytes]:
    """Deterministic corpus. Each generator runs 5 times first (so even a small --count touches
    every category), the rest is drawn by weight."""
    rng = random.Random(f"{seed}:{kind}")
    ctx = Context(rng, today, regions)
    generators = GENERATORS[kind](ctx)
    corpus = []
    for gen, _ in generators:
        for _ in range(5):
            corpus.append(sanitize(gen()))
    funcs = [g for g, _ in generators]
    weights = [w for _, w in generators]
    while len(corpus) < count:
        corpus.append(sanitize(rng.choices(funcs, weights)[0]()))
    rng.shuffle(corpus)
    return corpus[:max(count, 5 * len(generators))]


# ---------------------------------------------------------------------------------------------
# Running the CLI and comparing
# ---------------------------------------------------------------------------------------------

def run_kind(idca: str, kind: str, corpus: list[bytes], expected: list[str], today: datetime.date,
             timeout: float, dump_dir: str | None) -> tuple[int, int, bool]:
    """Returns (passed, failed, problems_other_than_mismatches)."""
    data = b"\n".join(corpus) + b"\n"
    argv = [idca, "validate", kind, "--today", today.isoformat()]
    if dump_dir:
        os.makedirs(dump_dir, exist_ok=True)
        with open(os.path.join(dump_dir, f"{kind}.input"), "wb") as f:
            f.write(data)
        with open(os.path.join(dump_dir, f"{kind}.expected"), "w") as f:
            f.write("\n".join(expected) + "\n")
    other_problem = False
    try:
        proc = subprocess.run(argv, input=data, capture_output=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"  ERROR: could not run {argv!r}: {e}")
        return 0, len(corpus), True

    out = proc.stdout
    if out and not out.endswith(b"\n"):
        print("  ERROR: output does not end with LF")
        other_problem = True
    got_lines = out.split(b"\n")
    if got_lines and got_lines[-1] == b"":
        got_lines.pop()
    if len(got_lines) != len(corpus):
        print(f"  ERROR: {len(corpus)} input lines but {len(got_lines)} output lines")
        other_problem = True

    expected_status = 0 if all(e == "VALID" for e in expected) else 1
    if proc.returncode != expected_status:
        print(f"  ERROR: exit status {proc.returncode}, expected {expected_status}")
        other_problem = True
    if proc.stderr:
        print(f"  stderr (first 500 bytes): {proc.stderr[:500]!r}")

    passed = failed = 0
    examples = []
    for i, (line, exp) in enumerate(zip(corpus, expected)):
        got = got_lines[i].decode("utf-8", errors="replace") if i < len(got_lines) else "<missing>"
        if got == exp:
            passed += 1
        else:
            failed += 1
            if len(examples) < 20:
                examples.append((i + 1, line, exp, got))
    failed += max(0, len(got_lines) - len(corpus))      # extra output lines count as failures
    if examples:
        print(f"  mismatches: {failed} (first {len(examples)}):")
        for number, line, exp, got in examples:
            print(f"    line {number}: input={line!r} expected={exp} got={got}")
    return passed, failed, other_problem


def parse_today(text: str) -> datetime.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise argparse.ArgumentTypeError(f"--today must be YYYY-MM-DD, got {text!r}")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--idca", required=True, help="path to the idca executable")
    p.add_argument("--count", type=int, default=DEFAULT_COUNT, help="lines per kind (default %(default)s)")
    p.add_argument("--seed", default=str(DEFAULT_SEED), help="corpus seed (default %(default)s)")
    p.add_argument("--today", type=parse_today, default=parse_today(DEFAULT_TODAY),
                   help=f"date passed as --today (default {DEFAULT_TODAY})")
    p.add_argument("--kinds", default=",".join(R.KINDS), help="comma-separated subset of kinds")
    p.add_argument("--regions", default=R.DEFAULT_REGIONS_PATH, help="regions.tsv (default: the bundled resource)")
    p.add_argument("--dump", metavar="DIR", help="also write <kind>.input / <kind>.expected here")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per CLI run (default %(default)s)")
    args = p.parse_args(argv)

    kinds = [k for k in args.kinds.split(",") if k]
    for k in kinds:
        if k not in R.KINDS:
            p.error(f"unknown kind {k!r}")
    if args.count < 1:
        p.error("--count must be positive")
    regions = R.load_regions(args.regions)

    total_passed = total_failed = 0
    ok = True
    for kind in kinds:
        corpus = build_corpus(kind, args.count, args.seed, args.today, regions)
        expected = [R.validate(kind, line, args.today, regions) for line in corpus]
        counts = collections.Counter(expected)
        print(f"{kind}: {len(corpus)} lines (today {args.today}, seed {args.seed})")
        for outcome in ["VALID"] + ["INVALID:" + r for r in R.REASONS[kind]]:
            print(f"  {outcome:<32} {counts.get(outcome, 0):>9}")
        unexpected = set(counts) - {"VALID"} - {"INVALID:" + r for r in R.REASONS[kind]}
        assert not unexpected, unexpected
        missing = [o for o in ["VALID"] + ["INVALID:" + r for r in R.REASONS[kind]] if counts.get(o, 0) == 0]
        if missing:
            print(f"  ERROR: corpus never produced: {', '.join(missing)}")
            ok = False
        passed, failed, other_problem = run_kind(args.idca, kind, corpus, expected, args.today,
                                                 args.timeout, args.dump)
        print(f"  {kind}: {passed} passed, {failed} failed")
        total_passed += passed
        total_failed += failed
        ok = ok and failed == 0 and not other_problem
    if not ok and total_failed == 0:
        total_failed_note = " (other errors above)"
    else:
        total_failed_note = ""
    print(f"differential: {total_passed} passed, {total_failed} failed{total_failed_note}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
