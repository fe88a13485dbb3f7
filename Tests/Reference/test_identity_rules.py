"""Self-test of the reference implementation (run: `python3 -m unittest` in Tests/Reference).

Literal examples below were worked by hand from the formulas in issue 2 where the comment shows
the arithmetic; the rest have the correct check character so that only the named rule fails.
"""

import datetime
import os
import random
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import identity_rules as R  # noqa: E402
import differential  # noqa: E402

TODAY = datetime.date(2026, 11, 29)
HERE = os.path.dirname(os.path.abspath(__file__))


def v(kind, line, today=TODAY):
    return R.validate(kind, line, today)


class CheckCharacters(unittest.TestCase):
    def test_resident_mapping_from_spec(self):
        # S mod 11 = 0..10 maps to 1 0 X 9 8 7 6 5 4 3 2.
        expected = dict(zip(range(11), "10X98765432"))
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        seen = set()
        for n in range(2000):
            first17 = f"11010519491231{n % 1000:03d}"[:17] if n < 1000 else f"{n:017d}"
            s = sum(int(c) * w for c, w in zip(first17, weights))
            self.assertEqual(R.resident_check_char(first17), expected[s % 11])
            seen.add(s % 11)
        self.assertEqual(seen, set(range(11)))

    def test_resident_hand_computed(self):
        # 1 1 0 1 0 5 2 0 2 6 1 1 2 9 0 0 2 · weights = 160; 160 mod 11 = 6 -> '6'
        self.assertEqual(R.resident_check_char("11010520261129002"), "6")
        self.assertEqual(R.resident_check_char("11010519491231002"), "X")

    def test_org_mapping(self):
        # 12345678: 3+14+27+40+25+48+28+16 = 201; 201 mod 11 = 3; 11-3 = 8
        self.assertEqual(R.org_check_char("12345678"), "8")
        # 00000000: S = 0; 11-0 = 11 is written '0'
        self.assertEqual(R.org_check_char("00000000"), "0")
        # 00000006: S = 12; 12 mod 11 = 1; 11-1 = 10 is written 'X'
        self.assertEqual(R.org_check_char("00000006"), "X")
        # PDY00001: P=25 D=13 Y=34: 75+91+306+2 = 474; 474 mod 11 = 1 -> 'X'
        self.assertEqual(R.org_check_char("PDY00001"), "X")
        # PDY99999: 75+91+306+9*(10+5+8+4+2) = 733; 733 mod 11 = 7; 11-7 = 4
        self.assertEqual(R.org_check_char("PDY99999"), "4")
        # letters are A=10 .. Z=35 (the full Latin alphabet, unlike the credit-code alphabet)
        self.assertEqual(R.org_char_value("A"), 10)
        self.assertEqual(R.org_char_value("I"), 18)
        self.assertEqual(R.org_char_value("Z"), 35)

    def test_credit_mapping(self):
        self.assertEqual(R.CREDIT_ALPHABET, "0123456789ABCDEFGHJKLMNPQRTUWXY")
        for c in "IOZSV":
            self.assertNotIn(c, R.CREDIT_ALPHABET)
        # 9 1 1 1 0 1 0 5 1 2 3 4 5 6 7 8 8 · 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
        # = 1082; 1082 mod 31 = 28; 31-28 = 3 -> '3'
        self.assertEqual(R.credit_check_char("91110105123456788"), "3")
        # S = 1 + 30 = 31 -> mod 31 = 0 -> 31 is written '0'
        self.assertEqual(R.credit_check_char("10000000000000010"), "0")
        # S = 1 -> 30 -> alphabet[30] = 'Y'
        self.assertEqual(R.credit_check_char("10000000000000000"), "Y")


class KnownNumbers(unittest.TestCase):
    def test_valid_examples(self):
        for kind, line in [
            ("resident-id", b"11010519491231002X"),
            ("resident-id", b"110105202611290026"),       # born today
            ("resident-id", b"110105190001010028"),       # born 1900-01-01
            ("resident-id", b"110105200002290021"),       # 29 Feb of a leap year
            ("resident-id", b"110103194912310027"),       # historical region 110103
            ("organization-code", b"123456788"),
            ("organization-code", b"000000000"),
            ("organization-code", b"00000006X"),
            ("organization-code", b"PDY000001"),          # PDY00000 is outside the reserved range
            ("credit-code", b"911101051234567883"),
            ("credit-code", b"91350100M000100Y43"),
            ("credit-code", b"91110105PDY00001XG"),       # reserved org body is fine inside a credit code
        ]:
            with self.subTest(kind=kind, line=line):
                self.assertEqual(v(kind, line), "VALID")

    def test_today_is_injected(self):
        self.assertEqual(v("resident-id", b"110105202611300028"), "INVALID:birth_date_future")
        self.assertEqual(v("resident-id", b"110105202611300028", datetime.date(2026, 11, 30)), "VALID")

    def test_upgrade_legacy_15(self):
        self.assertEqual(R.upgrade_legacy_15("110105491231002"), "11010519491231002X")

    def test_region_table(self):
        regions = R.default_regions()
        self.assertEqual(len(regions), 7212)
        self.assertEqual(regions["110000"], ("北京市", "current"))
        self.assertEqual(regions["110103"], ("崇文区", "historical"))
        self.assertEqual(regions["330113"][1], "current")


# Every reason code of every kind, each with an example where it is the FIRST failing rule.
# Most examples also break later rules, to pin the order.
FIRST_FAILING = {
    "resident-id": [
        (b"", "empty"),
        (b"11010519491231002X ", "whitespace"),
        (b"\xef\xbc\x91-10105 19491231002x", "whitespace"),          # full-width, hyphen, space
        (b"110105\xe3\x80\x8019491231002X", "whitespace"),            # U+3000
        (b"110105\xc2\xa019491231002X", "whitespace"),                # NBSP
        (b"110105\xe2\x80\xa819491231002X", "whitespace"),            # U+2028
        (b"110105\xc2\x8519491231002X", "whitespace"),                # U+0085 NEL
        (b"1101051949\r1231002X", "whitespace"),                      # CR in the middle
        (b"\xff\xe3\x80\xe3\x80\x80", "whitespace"),                  # invalid prefix, then U+3000
        (b"\xef\xbc\x91\xef\xbc\x91-0105194912310021", "non_ascii"),  # full-width digits + hyphen
        (b"11010519491231002\xef\xbc\xb8", "non_ascii"),             # full-width X
        (b"110105\xe2\x80\x8b19491231002X", "non_ascii"),             # U+200B is not White_Space
        (b"110105\xef\xbb\xbf19491231002X", "non_ascii"),             # U+FEFF is not White_Space
        (b"110105\xc0\xa019491231002X", "non_ascii"),                 # overlong ' ' is invalid UTF-8
        (b"110105\x8519491231002X", "non_ascii"),                     # raw 0x85 byte is invalid UTF-8
        (b"\xff", "non_ascii"),
        (b"110105-19491231-002X", "separator"),
        (b"-", "separator"),
        (b"110105491231002", "legacy_15"),
        (b"11010549123100X", "length"),
        (b"11010519491231002", "length"),
        (b"11010519491231002XX", "length"),
        (b"11010519491231002A", "format"),
        (b"A1010519491231002x", "format"),                           # format before lowercase_x
        (b"11010519491231002\x1c", "format"),                         # U+001C is not White_Space
        (b"1101051949123100x2", "format"),
        (b"11010519491231002x", "lowercase_x"),
        (b"11010519491231003x", "lowercase_x"),                       # (check would be 8)
        (b"110105194912310021", "checksum"),
        (b"000000194902300021", "checksum"),                          # also bad date, unknown region
        (b"110105190002290025", "birth_date"),                        # 1900 is not a leap year
        (b"110105202302290022", "birth_date"),
        (b"11010519490001002X", "birth_date"),                        # month 00
        (b"110105194913010029", "birth_date"),                        # month 13
        (b"110105194912000021", "birth_date"),                        # day 00
        (b"110105194912320025", "birth_date"),                        # day 32
        (b"11010519490431002X", "birth_date"),                        # 31 April
        (b"000000194902300028", "birth_date"),                        # bad date before unknown region
        (b"110105202611300028", "birth_date_future"),                 # tomorrow
        (b"110105189912310023", "birth_date_too_early"),              # 1899-12-31
        (b"110105000002290025", "birth_date_too_early"),              # 0000-02-29 (proleptic leap year)
        (b"000000194912310027", "region_unknown"),
        (b"11019919491231002X", "region_unknown"),
    ],
    "organization-code": [
        (b"", "empty"),
        (b"12345678 8", "whitespace"),
        (b"\t123456788", "whitespace"),
        (b"1234\xe3\x80\x805678-8", "whitespace"),
        (b"\xef\xbc\x912345678-8", "non_ascii"),
        (b"12345678\xe2\x80\x938", "non_ascii"),                      # EN DASH is not '-'
        (b"12345678-8", "separator"),
        (b"12345678", "length"),
        (b"1234567888", "length"),
        (b"pdy00001x", "lowercase"),
        (b"1234567a*", "lowercase"),
        (b"1234567*8", "format"),
        (b"12345.78A", "format"),
        (b"1234567\x008", "format"),
        (b"12345678A", "check_char_format"),
        (b"PDY00001Y", "check_char_format"),
        (b"123456789", "checksum"),
        (b"PDY000010", "checksum"),
        (b"PDY00001X", "reserved_custom_range"),
        (b"PDY999994", "reserved_custom_range"),
    ],
    "credit-code": [
        (b"", "empty"),
        (b"91110105 1234567883", "whitespace"),
        (b"9111010512345678\xe3\x80\x80", "whitespace"),
        (b"\xef\xbc\x99\xef\xbc\x91110105-123456788-3", "non_ascii"),
        (b"91110105123456788\xff", "non_ascii"),
        (b"91110105-123456788-3", "separator"),
        (b"91110105123456788", "length"),
        (b"9111010512345678833", "length"),
        (b"91350100m000100O43", "lowercase"),                        # lowercase before format
        (b"91350100M000100O43", "format"),                           # O is not in the alphabet
        (b"I1350100M000100Y43", "format"),
        (b"91350100M000100Y4*", "format"),
        (b"B1350A00M000100Y43", "registration_authority"),
        (b"01110105123456788C", "registration_authority"),           # correct C18, authority 0
        (b"9135A100M000100Y43", "division_format"),
        (b"911101051234567884", "checksum"),
        (b"91000000123456789" + b"0", "checksum"),
        (b"911101051234567896", "org_code_checksum"),
        (b"91000000123456789X", "org_code_checksum"),                # also unknown division
        (b"91000000123456788T", "division_unknown"),
    ],
}


class ReasonOrder(unittest.TestCase):
    def test_every_reason_is_first_somewhere(self):
        for kind, cases in FIRST_FAILING.items():
            produced = set()
            for line, reason in cases:
                with self.subTest(kind=kind, line=line):
                    self.assertEqual(v(kind, line), "INVALID:" + reason)
                produced.add(reason)
            self.assertEqual(produced, set(R.REASONS[kind]), kind)

    def test_birth_date_boundaries(self):
        m = R.make_resident_id
        cases = {
            "20261129": "VALID", "20261130": "INVALID:birth_date_future",
            "19000101": "VALID", "18991231": "INVALID:birth_date_too_early",
            "20000229": "VALID", "20240229": "VALID", "19000229": "INVALID:birth_date",
            "21000229": "INVALID:birth_date", "20250229": "INVALID:birth_date",
            "19490100": "INVALID:birth_date", "19490132": "INVALID:birth_date",
            "19490001": "INVALID:birth_date", "19491301": "INVALID:birth_date",
            "19490630": "VALID", "19490631": "INVALID:birth_date",
            "99991231": "INVALID:birth_date_future", "00010101": "INVALID:birth_date_too_early",
        }
        for birth, expected in cases.items():
            with self.subTest(birth=birth):
                self.assertEqual(v("resident-id", m("110105", birth, "002").encode()), expected)

    def test_whitespace_set_is_white_space_property(self):
        ws = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
              0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
        self.assertEqual({ord(c) for c in R.WHITESPACE}, ws)
        for cp in (0x1C, 0x1D, 0x1E, 0x1F, 0x200B, 0xFEFF, 0x180E):
            self.assertNotIn(chr(cp), R.WHITESPACE)


class Generators(unittest.TestCase):
    def setUp(self):
        self.rng = random.Random(1)
        self.regions = sorted(R.default_regions())

    def test_generated_numbers_are_valid(self):
        for _ in range(3000):
            self.assertEqual(v("resident-id", R.gen_resident_id(self.rng, self.regions, TODAY).encode()), "VALID")
            self.assertEqual(v("organization-code", R.gen_org_code(self.rng).encode()), "VALID")
            self.assertEqual(v("credit-code", R.gen_credit_code(self.rng, self.regions).encode()), "VALID")

    def test_single_substitutions_and_transpositions_are_caught(self):
        # MOD 11-2 over 0-9/X and MOD 31 over the 31-character alphabet catch every single
        # substitution and every adjacent transposition (not true of GB 11714 with letters).
        for kind, gen, alphabet in [
            ("resident-id", lambda: R.gen_resident_id(self.rng, self.regions, TODAY), "0123456789X"),
            ("credit-code", lambda: R.gen_credit_code(self.rng, self.regions), R.CREDIT_ALPHABET),
        ]:
            for _ in range(150):
                s = gen()
                for i in range(len(s)):
                    for c in alphabet:
                        if c != s[i]:
                            t = s[:i] + c + s[i + 1:]
                            self.assertNotEqual(v(kind, t.encode()), "VALID", (s, t))
                    if i + 1 < len(s) and s[i] != s[i + 1]:
                        t = s[:i] + s[i + 1] + s[i] + s[i + 2:]
                        self.assertNotEqual(v(kind, t.encode()), "VALID", (s, t))


class Harness(unittest.TestCase):
    """differential.py against reference_idca.py: agrees with itself, and catches a broken CLI."""

    def run_differential(self, env_extra):
        env = dict(os.environ, **env_extra)
        return subprocess.run(
            [sys.executable, os.path.join(HERE, "differential.py"),
             "--idca", os.path.join(HERE, "reference_idca.py"), "--count", "400"],
            capture_output=True, text=True, env=env)

    def test_agrees_with_itself(self):
        p = self.run_differential({})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout.splitlines()[-1], r"^differential: \d+ passed, 0 failed$")

    def test_detects_a_broken_cli(self):
        p = self.run_differential({"REFERENCE_IDCA_BREAK": "resident-id"})
        self.assertEqual(p.returncode, 1, p.stdout)

    def test_corpus_is_deterministic_and_line_safe(self):
        regions = R.default_regions()
        a = differential.build_corpus("credit-code", 1000, 5, TODAY, regions)
        b = differential.build_corpus("credit-code", 1000, 5, TODAY, regions)
        self.assertEqual(a, b)
        for line in a:
            self.assertNotIn(b"\n", line)
            self.assertFalse(line.endswith(b"\r"))


if __name__ == "__main__":
    unittest.main()
