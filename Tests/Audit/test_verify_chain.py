#!/usr/bin/env python3
"""Tests of Tests/Audit/verify_chain.py against the real idca binary.

    IDCA_BIN=.build/debug/idca python3 Tests/Audit/test_verify_chain.py -v
    (or: cd Tests/Audit && IDCA_BIN=… python3 -m unittest -v test_verify_chain)

Builds a small demo CA with IDCA_BIN (keys, a 2,000-resident registry, 300 demo applications, a
checkpoint kept in a file, then a few more applications after it), and checks that the independent
checker and `idca audit verify --json` agree: on the intact log (entries, head, checkpoints), and on
every kind of tampering Docs/AUDIT-LOG.md describes, done with sqlite3 after dropping the
append-only triggers, where both must name the same first broken sequence number and problem.

IDCA_BIN is required: without it the tests fail, they never skip. Runtime: 10–20 s with a debug build.
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import verify_chain  # noqa: E402  (the module under test, beside this file)

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

VERIFY_CHAIN = os.path.join(HERE, "verify_chain.py")
AUDIT_DOC = os.path.join(ROOT, "Docs", "AUDIT-LOG.md")
TRIGGERS = ("audit_log_append_only_update", "audit_log_append_only_delete",
            "audit_checkpoints_append_only_update", "audit_checkpoints_append_only_delete")
COLUMNS = ("seq", "time", "type", "actor", "subject", "outcome", "reason", "object", "detail", "prev_hash", "hash")
EVENT_COLUMNS = COLUMNS[1:9]

# The query Docs/AUDIT-LOG.md gives for tokens planned but never issued (kept identical; checked below).
PLANNED_WITHOUT_ISSUED = """
SELECT planned.seq, planned.time, planned.object AS token_id, planned.detail
FROM audit_log AS planned
WHERE planned.type = 'token.planned'
  AND NOT EXISTS (SELECT 1 FROM audit_log AS issued
                  WHERE issued.type = 'token.issued' AND issued.object = planned.object)
ORDER BY planned.seq;
"""


def normalized(text):
    return " ".join(text.split())


class WorkedExample(unittest.TestCase):
    """The canonical-encoding example of Docs/AUDIT-LOG.md, byte for byte (no idca needed)."""

    ENTRY = {
        "sequence": 8, "time": 1795992804, "type": "site.added", "actor": "operator:ops", "subject": "",
        "outcome": "added", "reason": "", "object": "site_xg2tr4rnq3msbqvcrprba2q67q",
        "detail": "max_accounts=1000 licence=京ICP证000000号",
    }
    PREV = "5c6f292020e89ff75b3e29ff84fdc3859a5a562d751067bfe379fc8f0c396cbb"
    HASH = "8804c39506b6834b13c24e441a4c16db22661aea0a1c1bd98d83e0afc14784ed"
    GENESIS_ENTRY = {
        "sequence": 1, "time": 1795992801, "type": "key.generated", "actor": "operator:ops", "subject": "",
        "outcome": "generated", "reason": "", "object": "35KtBpeE59B_Eefh2GA2wCkaLBFlLOZOMjPEKwGGWjk",
        "detail": "file=token-signing.pem",
    }
    GENESIS_HASH = "c310024ec354c5a71daefd0916ce9692847e1f7395bf19b636511395cdc26c9c"

    def test_hex_dump_in_the_document_is_the_encoding(self):
        encoded = verify_chain.canonical_bytes(self.ENTRY, self.PREV)
        self.assertEqual(len(encoded), 192)
        with open(AUDIT_DOC, encoding="utf-8") as handle:
            document = handle.read()
        # The xxd-style dump in the document: "00000000: 6964 6361 …  idca-audit-v1.\o"
        dumped = "".join(re.findall(r"^[0-9a-f]{8}: ((?:[0-9a-f]{2,4} ?){1,8})", document, flags=re.MULTILINE))
        self.assertIn(encoded.hex(), dumped.replace(" ", ""))
        self.assertEqual(verify_chain.entry_hash(self.ENTRY, self.PREV), self.HASH)
        self.assertIn(self.HASH, document)

    def test_first_entry_links_to_genesis(self):
        self.assertEqual(verify_chain.entry_hash(self.GENESIS_ENTRY, "0" * 64), self.GENESIS_HASH)
        with open(AUDIT_DOC, encoding="utf-8") as handle:
            self.assertIn(self.GENESIS_HASH, handle.read())

    def test_signed_text(self):
        text = verify_chain.signed_text(9925, "ab" * 32, 1795992809, "kid")
        self.assertEqual(text, b"idca-audit-checkpoint-v1\n9925\n" + b"ab" * 32 + b"\n1795992809\nkid\n")

    def test_planned_without_issued_query_is_the_documented_one(self):
        with open(AUDIT_DOC, encoding="utf-8") as handle:
            self.assertIn(normalized(PLANNED_WITHOUT_ISSUED), normalized(handle.read()))


class AgreementWithIdca(unittest.TestCase):
    """verify_chain.py and `idca audit verify` on one demo log, intact and tampered."""

    @classmethod
    def setUpClass(cls):
        idca = os.environ.get("IDCA_BIN", "")
        if not idca:
            raise RuntimeError("IDCA_BIN is not set: point it at the idca binary (IDCA_BIN=.build/debug/idca). "
                               "These tests fail without it; they never skip.")
        cls.idca = os.path.abspath(idca)
        if not (os.path.isfile(cls.idca) and os.access(cls.idca, os.X_OK)):
            raise RuntimeError(f"IDCA_BIN={idca} is not an executable file")
        cls.directory = tempfile.mkdtemp(prefix="idca-audit-test-")
        try:
            cls.build_demo()
        except BaseException:
            shutil.rmtree(cls.directory, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.directory, name)

    @classmethod
    def run_idca(cls, *arguments):
        environment = dict(os.environ, USER="audit-test")
        for name in ("IDCA_DATABASE", "IDCA_KEYS", "SUDO_USER"):
            environment.pop(name, None)
        result = subprocess.run([cls.idca, *arguments], cwd=cls.directory, env=environment, capture_output=True,
                                text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"idca {' '.join(arguments)} exited {result.returncode}: {result.stderr.strip()[:2000]}")
        return json.loads(result.stdout)

    @classmethod
    def build_demo(cls):
        cls.database = cls.path("base.sqlite")
        storage = ("--database", cls.database, "--keys", cls.path("keys"))
        cls.run_idca("keys", "generate", *storage, "--json")
        cls.run_idca("demo", "seed", *storage, "--residents", "2000", "--organizations", "200", "--traffic", "300",
                     "--output", cls.path("demo"), "--json")
        cls.held = cls.path("held-checkpoint.json")
        checkpoint = cls.run_idca("audit", "checkpoint", *storage, "--output", cls.held, "--json")
        cls.checkpoint_sequence = checkpoint["sequence"]
        # Entries after the checkpoint: the part of the log no checkpoint covers yet.
        cls.run_idca("demo", "traffic", *storage, "--applications", "20", "--days", "2", "--data", cls.path("demo"), "--json")
        with open(cls.path("keys/audit-signing.pem"), "rb") as handle:
            private = serialization.load_pem_private_key(handle.read(), password=None)
        cls.public_key = cls.path("audit-public.pem")
        with open(cls.public_key, "wb") as handle:
            handle.write(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo))
        with sqlite3.connect(cls.database) as connection:
            cls.head_sequence, cls.head_hash = connection.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            # A middle entry well inside the checkpointed part: an application decision.
            cls.middle = connection.execute(
                "SELECT min(seq) FROM audit_log WHERE type = 'application.decided' AND seq >= ?",
                (cls.checkpoint_sequence // 2,)).fetchone()[0]
        assert 10 < cls.middle < cls.checkpoint_sequence - 20 < cls.head_sequence - 20, \
            (cls.middle, cls.checkpoint_sequence, cls.head_sequence)
        cls.cases = 0

    # --- Helpers -------------------------------------------------------------------------------

    def tampered(self, change):
        """A copy of the demo database, with the append-only triggers dropped and `change`
        (SQL text, or a function of the connection) applied."""
        type(self).cases += 1
        target = self.path(f"case-{self.cases}.sqlite")
        with sqlite3.connect(self.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        connection = sqlite3.connect(target)
        try:
            for trigger in TRIGGERS:
                connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            if callable(change):
                change(connection)
            else:
                connection.executescript(change)
            connection.commit()
        finally:
            connection.close()
        return target

    def check_both(self, database, held=(), public_key=None):
        """(verify_chain report, its exit status, idca report, its exit status)."""
        key = public_key or self.public_key
        extra = [argument for path in held for argument in ("--checkpoint", path)]
        mine = subprocess.run([sys.executable, VERIFY_CHAIN, "--database", database, "--public-key", key, "--json", *extra],
                              capture_output=True, text=True, timeout=60)
        theirs = subprocess.run([self.idca, "audit", "verify", "--database", database, "--public-key", key, "--json", *extra],
                                cwd=self.directory, capture_output=True, text=True, timeout=60)
        self.assertIn(mine.returncode, (0, 1), f"verify_chain.py failed: {mine.stderr}")
        self.assertIn(theirs.returncode, (0, 1), f"idca audit verify failed (exit {theirs.returncode}): {theirs.stderr[:2000]}")
        return json.loads(mine.stdout), mine.returncode, json.loads(theirs.stdout), theirs.returncode

    def assert_intact(self, database, entries, held=()):
        mine, mine_status, theirs, theirs_status = self.check_both(database, held)
        self.assertEqual((mine_status, mine["intact"], mine["first_break"]), (0, True, None), mine)
        self.assertEqual((theirs_status, theirs["intact"]), (0, True), theirs)
        self.assertNotIn("first_break", theirs)
        self.assertEqual(mine["entries"], entries)
        for field in ("entries", "head", "checkpoints"):
            self.assertEqual(mine[field], theirs[field], field)
        return mine

    def assert_broken(self, database, sequence, problem, held=(), public_key=None):
        mine, mine_status, theirs, theirs_status = self.check_both(database, held, public_key)
        self.assertEqual(mine_status, 1, mine)
        self.assertEqual(theirs_status, 1, theirs)
        self.assertFalse(mine["intact"])
        self.assertFalse(theirs["intact"])
        self.assertEqual(mine["first_break"]["problem"], problem, mine)
        self.assertEqual(mine["first_break"]["sequence"], sequence, mine)
        self.assertEqual(theirs["first_break"]["sequence"], sequence, theirs)
        self.assertEqual(mine["first_break"]["message"], theirs["first_break"]["message"])
        for field in ("entries", "head", "checkpoints"):
            self.assertEqual(mine[field], theirs[field], field)
        return mine

    @staticmethod
    def row(connection, sequence):
        return connection.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE seq = ?", (sequence,)).fetchone()

    @staticmethod
    def recompute_from(connection, start):
        """What someone with write access does to hide an edit: recompute every hash from `start` on."""
        previous = connection.execute("SELECT hash FROM audit_log WHERE seq = ?", (start - 1,)).fetchone()[0]
        rows = connection.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE seq >= ? ORDER BY seq",
                                  (start,)).fetchall()
        for row in rows:
            entry = dict(zip(("sequence",) + COLUMNS[1:9], row[:9]))
            new_hash = verify_chain.entry_hash(entry, previous)
            connection.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (previous, new_hash, row[0]))
            previous = new_hash

    # --- Intact ------------------------------------------------------------------------------------

    def test_intact_log_agrees(self):
        report = self.assert_intact(self.database, self.head_sequence)
        self.assertEqual(report["head"], {"sequence": self.head_sequence, "hash": self.head_hash})
        self.assertEqual(report["checkpoints"], 1)

    def test_intact_log_with_the_held_checkpoint_agrees(self):
        report = self.assert_intact(self.database, self.head_sequence, held=[self.held])
        self.assertEqual(report["checkpoints"], 2)  # the stored copy and the held file, both counted

    def test_text_output_and_exit_status(self):
        result = subprocess.run([sys.executable, VERIFY_CHAIN, "--database", self.database, "--public-key", self.public_key],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"The audit log is intact: {self.head_sequence} entries", result.stdout)
        missing = subprocess.run([sys.executable, VERIFY_CHAIN, "--database", self.path("nothing.sqlite"),
                                  "--public-key", self.public_key], capture_output=True, text=True, timeout=60)
        self.assertEqual(missing.returncode, 2)

    # --- The chain alone ---------------------------------------------------------------------------

    def test_edited_field(self):
        for column, expression in (("outcome", "CASE outcome WHEN 'approved' THEN 'rejected' ELSE 'approved' END"),
                                   ("detail", "detail || ' site=site_aaaaaaaaaaaaaaaaaaaaaaaaaa'"),
                                   ("time", "time - 86400"),
                                   ("hash", "(CASE substr(hash, 1, 1) WHEN '0' THEN '1' ELSE '0' END) || substr(hash, 2)")):
            with self.subTest(column=column):
                database = self.tampered(f"UPDATE audit_log SET {column} = {expression} WHERE seq = {self.middle};")
                self.assert_broken(database, self.middle, "hash_mismatch")

    def test_deleted_middle_entry(self):
        database = self.tampered(f"DELETE FROM audit_log WHERE seq = {self.middle};")
        report = self.assert_broken(database, self.middle, "sequence_gap")
        self.assertEqual(report["first_break"]["found"], self.middle + 1)
        self.assertEqual(report["entries"], self.middle - 1)

    def test_inserted_entry(self):
        # A well-formed, correctly hashed entry linked after entry k-1, with the rest renumbered:
        # the chain breaks at the entry after it, whose prev_hash still names entry k-1.
        k = self.middle

        def insert(connection):
            previous = self.row(connection, k - 1)
            connection.execute("UPDATE audit_log SET seq = seq + 1000000 WHERE seq >= ?", (k,))
            connection.execute("UPDATE audit_log SET seq = seq - 1000000 + 1 WHERE seq >= 1000000")
            forged = {"sequence": k, "time": previous[1], "type": "application.decided", "actor": "applicant",
                      "subject": "", "outcome": "approved", "reason": "", "object": "app_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                      "detail": "subject_type=individual"}
            forged_hash = verify_chain.entry_hash(forged, previous[10])
            connection.execute(f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               [forged[name] for name in ("sequence",) + COLUMNS[1:9]] + [previous[10], forged_hash])

        database = self.tampered(insert)
        self.assert_broken(database, k + 1, "unlinked")

    def test_swapped_entries(self):
        i, j = self.middle, self.middle + 5

        def swap(columns):
            def change(connection):
                first, second = self.row(connection, i), self.row(connection, j)
                indexes = [COLUMNS.index(name) for name in columns]
                assignments = ", ".join(f"{name} = ?" for name in columns)
                connection.execute(f"UPDATE audit_log SET {assignments} WHERE seq = ?", [second[x] for x in indexes] + [i])
                connection.execute(f"UPDATE audit_log SET {assignments} WHERE seq = ?", [first[x] for x in indexes] + [j])
            return change

        with self.subTest("whole rows (links and hashes moved with them)"):
            self.assert_broken(self.tampered(swap(COLUMNS[1:])), i, "unlinked")
        with self.subTest("contents only (links and hashes left in place)"):
            self.assert_broken(self.tampered(swap(EVENT_COLUMNS)), i, "hash_mismatch")

    # --- Checkpoints ---------------------------------------------------------------------------------

    def test_truncated_past_a_held_checkpoint(self):
        keep = self.checkpoint_sequence - 10
        with self.subTest("stored checkpoints deleted too; the auditor's file catches it"):
            database = self.tampered(f"DELETE FROM audit_log WHERE seq > {keep}; DELETE FROM audit_checkpoints;")
            report = self.assert_broken(database, keep + 1, "truncated", held=[self.held])
            self.assertEqual((report["first_break"]["checkpoint_sequence"], report["first_break"]["entries"]),
                             (self.checkpoint_sequence, keep))
            # Without a checkpoint held outside the database, the same cut goes unnoticed.
            self.assert_intact(database, keep)
        with self.subTest("stored checkpoint left in place"):
            database = self.tampered(f"DELETE FROM audit_log WHERE seq > {keep};")
            self.assert_broken(database, keep + 1, "truncated")

    def test_truncating_entries_after_the_last_checkpoint_is_not_detected(self):
        database = self.tampered(f"DELETE FROM audit_log WHERE seq > {self.checkpoint_sequence};")
        self.assert_intact(database, self.checkpoint_sequence, held=[self.held])

    def test_rewritten_and_recomputed(self):
        def rewrite(also):
            def change(connection):
                connection.execute("UPDATE audit_log SET detail = detail || ' forged=1' WHERE seq = ?", (self.middle,))
                self.recompute_from(connection, self.middle)
                if also:
                    connection.execute(also)
            return change

        with self.subTest("a stored checkpoint exists"):
            # Caught at the checkpoint's sequence, not at the edited entry: the chain is consistent again.
            self.assert_broken(self.tampered(rewrite(None)), self.checkpoint_sequence, "contradicts_checkpoint")
        with self.subTest("stored checkpoints deleted; the auditor's file catches it"):
            database = self.tampered(rewrite("DELETE FROM audit_checkpoints"))
            self.assert_broken(database, self.checkpoint_sequence, "contradicts_checkpoint", held=[self.held])
            self.assert_intact(database, self.head_sequence)  # and nothing catches it without one

    def test_bad_checkpoint_signatures(self):
        with self.subTest("stored checkpoint edited"):
            database = self.tampered("UPDATE audit_checkpoints SET time = time + 1;")
            report = self.assert_broken(database, self.checkpoint_sequence, "bad_checkpoint_signature")
            self.assertEqual(report["entries"], 0)  # checkpoints are checked before any entry is read
        with self.subTest("held checkpoint edited"):
            with open(self.held, encoding="utf-8") as handle:
                checkpoint = json.load(handle)
            checkpoint["hash"] = "0" * 64
            forged = self.path("forged-checkpoint.json")
            with open(forged, "w", encoding="utf-8") as handle:
                json.dump(checkpoint, handle)
            self.assert_broken(self.database, self.checkpoint_sequence, "bad_checkpoint_signature", held=[forged])
        with self.subTest("another audit key"):
            other = self.path("other-public.pem")
            with open(other, "wb") as handle:
                handle.write(Ed25519PrivateKey.generate().public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
            self.assert_broken(self.database, self.checkpoint_sequence, "bad_checkpoint_signature", public_key=other)

    # --- Rows idca does not read as entries (known gaps in idca, see the report) --------------------

    def row_outside_the_chain(self):
        return self.tampered("INSERT INTO audit_log VALUES (0, 0, 'token.issued', 'applicant', '', 'issued', '', "
                             "'forged', '', '" + "0" * 64 + "', '" + "0" * 64 + "');")

    def test_row_outside_the_chain_is_reported(self):
        database = self.row_outside_the_chain()
        mine, status, _, _ = self.check_both(database)
        self.assertEqual(status, 1)
        self.assertEqual((mine["first_break"]["sequence"], mine["first_break"]["problem"], mine["first_break"]["found"]),
                         (1, "sequence_gap", 0))

    def test_idca_reports_a_row_outside_the_chain(self):
        # idca walks from the lowest sequence number there is, so a row below 1 is a break, not invisible.
        _, _, theirs, status = self.check_both(self.row_outside_the_chain())
        self.assertEqual((status, theirs["intact"]), (1, False))

    def value_of_the_wrong_type(self):
        return self.tampered(f"UPDATE audit_log SET time = 'yesterday' WHERE seq = {self.middle};")

    def test_value_of_the_wrong_type_is_reported(self):
        database = self.value_of_the_wrong_type()
        result = subprocess.run([sys.executable, VERIFY_CHAIN, "--database", database, "--public-key", self.public_key, "--json"],
                                capture_output=True, text=True, timeout=60)
        report = json.loads(result.stdout)
        self.assertEqual((result.returncode, report["first_break"]["sequence"], report["first_break"]["problem"]),
                         (1, self.middle, "malformed"))

    def test_idca_reports_a_value_of_the_wrong_type(self):
        # A value of the wrong type reads as an entry whose hash cannot match: a break, not a crash.
        _, _, theirs, status = self.check_both(self.value_of_the_wrong_type())
        self.assertEqual((status, theirs["first_break"]["sequence"]), (1, self.middle))

    # --- The recipes of Docs/AUDIT-LOG.md --------------------------------------------------------------

    def test_planned_without_issued(self):
        with sqlite3.connect(self.database) as connection:
            self.assertEqual(connection.execute(PLANNED_WITHOUT_ISSUED).fetchall(), [])
            token, issued = connection.execute(
                "SELECT object, seq FROM audit_log WHERE type = 'token.issued' ORDER BY seq LIMIT 1").fetchone()
        # As if idca had stopped between the two commits: that token's issued entry never written.
        database = self.tampered(f"DELETE FROM audit_log WHERE seq = {issued};")
        with sqlite3.connect(database) as connection:
            self.assertEqual([row[2] for row in connection.execute(PLANNED_WITHOUT_ISSUED)], [token])

    def test_openssl_recipe(self):
        # `make deps` installs both; a missing tool is a failure, never a skip.
        self.assertTrue(shutil.which("openssl") and shutil.which("jq"), "openssl and jq are needed for the shell recipe")
        script = r"""
            set -eu
            openssl pkey -in keys/audit-signing.pem -pubout -out audit-public-openssl.pem
            jq -j '"idca-audit-checkpoint-v1\n\(.sequence)\n\(.hash)\n\(.time)\n\(.key_id)\n"' "$1" > checkpoint.txt
            jq -j '.signature + "=="' "$1" | tr -- '-_' '+/' | base64 -d > checkpoint.sig
            openssl pkeyutl -verify -pubin -inkey audit-public-openssl.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig
            X=$(openssl pkey -pubin -in audit-public-openssl.pem -outform DER | tail -c 32 | base64 | tr '+/' '-_' | tr -d '=\n')
            printf '{"crv":"Ed25519","kty":"OKP","x":"%s"}' "$X" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n'
        """
        result = subprocess.run(["bash", "-c", script, "recipe", self.held], cwd=self.directory, capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        with open(self.held, encoding="utf-8") as handle:
            checkpoint = json.load(handle)
        self.assertEqual(result.stdout.splitlines(), ["Signature Verified Successfully", checkpoint["key_id"]])
        with open(self.path("checkpoint.txt"), "ab") as handle:
            handle.write(b"x")
        refused = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "audit-public-openssl.pem", "-rawin",
                                  "-in", "checkpoint.txt", "-sigfile", "checkpoint.sig"],
                                 cwd=self.directory, capture_output=True, text=True, timeout=60)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("Signature Verification Failure", refused.stdout + refused.stderr)


if __name__ == "__main__":
    unittest.main()
