"""Crash checker: `idca serve` under concurrent load, killed with SIGKILL (kill -9) at random moments and
restarted, on SQLite or on PostgreSQL; nothing it acknowledged may be lost.

usage: python3 Tests/Reliability/crash_test.py --idca PATH_TO_IDCA [--backend sqlite|postgres|both]
                                               [--kills N] [--threads N] [--seed S] [--keep]

`--backend postgres` (and `both`) reads a superuser URL to a maintenance database from
IDCA_TEST_POSTGRES_URL, as Tests/Postgres/with_cluster.sh sets it, and works in a fresh database
that is dropped afterwards.

For each backend: a fresh working directory, keys and a demo registry (residents with and without a
phone, organizations), an auditor key, and one server on 127.0.0.1 (address budgets, failure locks
and codes per phone lifted so that they do not interfere; codes go to an outbox file in the working
directory). Then, `--kills` times (at least 5), a round:

  - several threads apply and verify at once and record every answer: individuals approved at once;
    individuals with a phone on file (`pending_possession`, the code read from the outbox, sometimes
    a wrong code first, sometimes the right code twice at once, sometimes left pending for a later
    round); organizations (their operator with or without a phone); refused applications (a wrong
    name, a resident the registry marks inactive); verifications, some raced three at once, some
    tokens held back unverified for a later round;
  - in two of the rounds, a subject (a resident, then an organization) is certified a few times,
    some of its tokens redeemed and the others held, and `idca certifications revoke` runs against
    the database while the server serves;
  - an auditor's poller keeps every new signed checkpoint (`GET /v1/audit/checkpoints/latest`);
  - the server is killed with SIGKILL at a random moment of the load, and restarted (in one round,
    killed once more at a random moment of its start, and started again).

After every restart, everything acknowledged so far is checked: every acknowledged approval and
rejection reads back as such (`GET /v1/applications/{id}`); every acknowledged pending application is
still pending (or decided, if a confirmation of it was cut off); every acknowledged redemption is still
redeemed (verifying again answers `token_already_used`); a token whose verification was cut off is now
either redeemed or redeemable once; every held token of a revoked subject answers
`certification_revoked` and the site's feed and subject status show the revocation; no token has ever
been answered `active: true` twice; `idca audit verify` passes with every checkpoint kept so far; the
audit log holds a decision for every acknowledged one; and the auditors' statistics count

    acknowledged + found ≤ statistics ≤ acknowledged + in flight

where *acknowledged* are the decisions answered (201 approved/rejected, or a confirmation's 200
approved/rejected), *in flight* the applications and confirmations that reached the server but whose
answer the kill cut off (each made at most one decision; refused connections reached nothing), and
*found* those of them the lookups show decided. Statistics and the log's decisions must also be
equal. At the end the held tokens and pending applications are finished (each held token verifies
exactly once), the server stops on SIGTERM with status 0, and the log verifies once more.

No answer may be a 5xx, and a call may go unanswered only once the server has been killed. Every
loop is bounded in time. Everything is removed afterwards (processes, working directories, the
database), also on failure; `--keep` keeps the working directories (server logs). Prints one
`crash (BACKEND) …` line per restart and per backend, and ends with `crash: N passed, M failed`;
exits 0 only when nothing failed.
"""
import argparse, base64, collections, concurrent.futures, csv, json, os, random, re, shutil, signal, sys, tempfile, threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from serving import Tally  # noqa: E402
import live_server  # noqa: E402
from live_server import Server, Unreachable, idca_command  # noqa: E402

tally = Tally()
check = tally.check
started = time.time()

CODE_SECONDS = 300         # a possession code's lifetime (fixed in this version)
CALL_TIMEOUT = 30          # seconds for one HTTP call: a live server answers far sooner; only a kill cuts calls off
ROUND_SECONDS = (1.5, 5.0)  # the kill comes at a uniformly random moment of this much load
BACKEND_BUDGET = 240       # seconds a backend may take at most before the run gives up (it takes 60–120)
OUTBOX_LINE = re.compile(r"application=(app_[a-z2-7]{26}) to=\S+ code=(\d{6})")


def log(message):
    print(f"[{time.time() - started:6.1f}s] {message}", flush=True)


class Outbox:
    """The development outbox the server writes codes to, read incrementally: application id -> code."""

    def __init__(self, path):
        self.path, self.offset, self.rest, self.codes = path, 0, b"", {}
        self.lock = threading.Lock()

    def code(self, application_id, timeout=5):
        deadline = time.time() + timeout
        while True:
            with self.lock:
                if application_id not in self.codes:
                    self._read()
                if application_id in self.codes:
                    return self.codes[application_id]
            if time.time() > deadline:
                return None
            time.sleep(0.02)

    def _read(self):
        try:
            with open(self.path, "rb") as file:
                file.seek(self.offset)
                data = file.read()
        except FileNotFoundError:
            return
        self.offset += len(data)
        lines = (self.rest + data).split(b"\n")
        self.rest = lines.pop()
        for line in lines:
            found = OUTBOX_LINE.search(line.decode("utf-8", "replace"))
            if found:
                self.codes[found.group(1)] = found.group(2)


def token_id(token):
    """The `jti` of a token (the audit log names tokens by it)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]


def expired(answer, pending):
    """A confirmation answered `possession_code_expired` for a code that is indeed that old (only in a very slow run)."""
    return bool(pending) and answer.get("reason") == "possession_code_expired" and time.time() - pending["since"] >= CODE_SECONDS - 5


def wrong_code(code):
    return f"{(int(code) + 1) % 1000000:06d}"


class Revocation:
    def __init__(self, subject, number, pseudonym, revoked_at, redeemed, held, uncertain):
        self.subject, self.number, self.pseudonym, self.revoked_at = subject, number, pseudonym, revoked_at
        self.redeemed, self.held, self.uncertain = redeemed, held, uncertain


class CrashRun:
    """One backend: the server, the load, and every answer it was given."""

    def __init__(self, backend, idca, directory, database, rng, threads):
        self.backend, self.idca, self.directory, self.database = backend, idca, directory, database
        self.rng, self.threads = rng, threads
        self.lock = threading.Lock()
        self.server_errors = []
        self.outbox = Outbox(os.path.join(directory, "outbox", "sms.log"))
        self.server = Server(
            "idca", idca, directory, database, server_errors=self.server_errors,
            # One issuer whatever the port, so tokens stay valid when a restart lands on another port.
            arguments=["--issuer", "http://127.0.0.1", "--sms-outbox", self.outbox.path],
            environment={
                # All load comes from 127.0.0.1: lift the address bucket; the refused applications
                # (wrong names) must not lock anyone, and phones may receive many codes.
                "IDCA_ADDRESS_BURST": "100000", "IDCA_ADDRESS_PER_MINUTE": "100000",
                "IDCA_RESIDENT_FAILURE_LIMIT": "100", "IDCA_ORGANIZATION_FAILURE_LIMIT": "100",
                "IDCA_CODES_PER_HOUR": "100",
                # Sign checkpoints often, so kills also land on them and `audit verify` checks them.
                "IDCA_AUDIT_CHECKPOINT_ENTRIES": "250", "IDCA_AUDIT_CHECKPOINT_INTERVAL": "1",
            })
        # What the server acknowledged.
        self.approvals = {}        # application id -> {"token", "subject", "kind"}
        self.rejections = {}       # application id -> public reason
        self.pending = {}          # application id -> {"code", "subject", "kind", "expires_at"}: answered pending, not yet decided
        self.tokens = {}           # token -> {"application", "subject", "acr", "state": held|sending|redeemed|unresolved|revoked}
        self.redemptions = 0       # `active: true` answers acknowledged (one per token)
        self.pseudonyms = {}       # subject -> the site's pseudonym (from an `active` answer)
        self.revocations = []      # acknowledged revocations
        self.revoked_subjects = set()
        self.victims = set()       # the subjects certified only to be revoked
        # What the kills cut off.
        self.applications_cut = 0  # POST /v1/applications that reached the server without an answer
        self.confirms_cut = 0      # POST …/confirm likewise
        self.confirm_cut_ids = collections.Counter()   # application id -> its confirmations cut off
        self.found = {}            # application id -> status: decided by a call whose answer was cut off
        self.unanswered = collections.Counter()
        self.alive_failures = []   # calls unanswered while the server was up: never allowed
        # Work left for later rounds.
        self.held = []             # tokens to verify in a later round
        self.leftover = []         # pending application ids to confirm in a later round
        # Over the whole run.
        self.activations = collections.Counter()
        self.unexpected = []       # answers that break the API's contract
        self.answers = collections.Counter()
        self.checked, self.lost = 0, []
        self.log_head, self.decided = None, {}   # the last audit entry read, and the decisions in the log
        self.log_issued, self.log_active, self.log_revocations = set(), collections.Counter(), set()  # token ids, `revocation:N`
        self.log_planned = set()   # token ids of token.planned: an approval committed, its token about to be signed
        self.checkpoints = {}      # sequence -> file: signed checkpoints fetched during the run, kept outside the CA
        self.killed_at = None
        self.kills = 0
        self.starting_kills = 0    # kills while the server was starting
        self.stop_flag = threading.Event()
        self.round_deadline = 0

    # --- setup ---------------------------------------------------------------------------------------------------

    def setup(self):
        generated = idca_command(self.idca, self.directory, self.database, "keys", "generate")
        if not check(generated.returncode == 0, f"keys generate: {generated.stderr[-1000:]}"):
            return False
        seeded = idca_command(self.idca, self.directory, self.database, "demo", "seed", "--residents", "4000",
                              "--organizations", "400", "--traffic", "0", "--json")
        if not check(seeded.returncode == 0, f"demo seed: {seeded.stdout[-500:]} {seeded.stderr[-1000:]}"):
            return False
        self.site_key = json.load(open(os.path.join(self.directory, "var", "demo", "site.json")))["api_key"]
        added = idca_command(self.idca, self.directory, self.database, "auditors", "add", "--name", "crash test", "--json")
        if not check(added.returncode == 0, f"auditors add: {added.stderr[-1000:]}"):
            return False
        self.auditor_key = json.loads(added.stdout)["api_key"]
        with open(os.path.join(self.directory, "var", "demo", "residents.csv"), encoding="utf-8", newline="") as file:
            residents = list(csv.DictReader(file))
        with open(os.path.join(self.directory, "var", "demo", "organizations.csv"), encoding="utf-8", newline="") as file:
            organizations = [row for row in csv.DictReader(file) if row["status"] == "active"]
        plain = [r for r in residents if r["status"] == "active" and not r["phone"].strip()]
        self.phone_people = [r for r in residents if r["status"] == "active" and r["phone"].strip()]
        self.inactive_people = [r for r in residents if r["status"] != "active"]
        self.rng.shuffle(plain)
        self.rng.shuffle(organizations)
        # Subjects to revoke, used by nothing else.
        self.victim_people, self.plain_people = plain[:4], plain[4:]
        self.victim_organizations, self.organizations = organizations[:4], organizations[4:]
        return check(len(self.plain_people) > 1000 and len(self.phone_people) > 300 and self.inactive_people
                     and len(self.organizations) > 100,
                     f"the demo registry has enough subjects: {len(self.plain_people)} plain, {len(self.phone_people)} "
                     f"with a phone, {len(self.inactive_people)} inactive, {len(self.organizations)} organizations")

    # --- calls -----------------------------------------------------------------------------------------------------

    def call(self, method, path, body=None, api_key=None):
        """The server's answer; Unreachable (recorded) when none came."""
        try:
            return self.server.call(method, path, body, api_key=api_key, timeout=CALL_TIMEOUT)
        except Unreachable as error:
            with self.lock:
                self.unanswered["refused" if error.refused else "cut off"] += 1
                if self.killed_at is None or error.at < self.killed_at:
                    self.alive_failures.append(str(error)[:300])
            raise

    def contract(self, condition, what):
        """An answer the API documents otherwise: recorded, and failed when the round is checked."""
        if not condition:
            with self.lock:
                self.unexpected.append(what[:600])
        return condition

    def count(self, label):
        with self.lock:
            self.answers[label] += 1

    # --- the load ----------------------------------------------------------------------------------------------------

    def apply(self, body, subject, kind):
        """POST /v1/applications: the application id and its parsed answer (None when cut off or refused)."""
        try:
            status, answer = self.call("POST", "/v1/applications", body)
        except Unreachable as error:
            if not error.refused:
                with self.lock:
                    self.applications_cut += 1
            raise
        if not self.contract(status == 201 and isinstance(answer, dict) and str(answer.get("application_id", "")).startswith("app_"),
                             f"{kind} application answered {status} {answer}"):
            return None
        application_id = answer["application_id"]
        state = answer.get("status")
        if state == "approved" and answer.get("token"):
            self.approved(application_id, answer["token"], subject, kind)
        elif state == "rejected":
            with self.lock:
                self.rejections[application_id] = answer.get("reason")
        elif state == "pending_possession":
            code = self.outbox.code(application_id)
            self.contract(code is not None, f"no code in the outbox for the pending application {application_id}")
            with self.lock:
                self.pending[application_id] = {"code": code, "subject": subject, "kind": kind,
                                                "attempts_left": answer.get("possession", {}).get("attempts_left"),
                                                "since": time.time()}
        else:
            self.contract(False, f"{kind} application answered an unknown status: {answer}")
            return None
        self.count(f"application {state}")
        return answer

    def approved(self, application_id, token, subject, kind):
        with self.lock:
            self.approvals[application_id] = {"token": token, "subject": subject, "kind": kind}
            self.tokens[token] = {"application": application_id, "subject": subject, "state": "held",
                                  "acr": "registry+possession" if kind.endswith("possession") else "registry"}

    def confirm(self, application_id, code):
        """POST …/confirm: (status, answer); records an approval or rejection it acknowledges."""
        try:
            status, answer = self.call("POST", f"/v1/applications/{application_id}/confirm", {"code": code})
        except Unreachable as error:
            if not error.refused:
                with self.lock:
                    self.confirms_cut += 1
                    self.confirm_cut_ids[application_id] += 1
            raise
        with self.lock:
            pending = self.pending.get(application_id)
        if status == 200 and isinstance(answer, dict) and answer.get("status") in ("approved", "rejected"):
            with self.lock:
                self.pending.pop(application_id, None)
            if not self.contract(pending is not None, f"{application_id} decided by a confirmation, but not pending: {answer}"):
                pass
            elif answer["status"] == "approved":
                self.approved(application_id, answer["token"], pending["subject"], pending["kind"])
            else:
                with self.lock:
                    self.rejections[application_id] = answer.get("reason")
        elif status == 200 and isinstance(answer, dict) and answer.get("status") == "pending_possession" and pending:
            with self.lock:
                pending["attempts_left"] = answer.get("possession", {}).get("attempts_left")
        self.count(f"confirm {status} {answer.get('status') if isinstance(answer, dict) else ''} "
                   f"{answer.get('reason') or answer.get('error') or '' if isinstance(answer, dict) else ''}".strip())
        return status, answer

    def verify(self, token, racers=1):
        """Verify a held token, `racers` calls at once; at most one may answer `active`."""
        with self.lock:
            entry = self.tokens[token]
            if entry["state"] != "held":
                return
            entry["state"] = "sending"
        results = []

        def one():
            try:
                results.append(self.call("POST", "/v1/tokens/verify", {"token": token}, api_key=self.site_key))
            except Unreachable as error:
                results.append(error)
        helpers = [threading.Thread(target=one) for _ in range(racers - 1)]
        for helper in helpers:
            helper.start()
        one()
        for helper in helpers:
            helper.join(CALL_TIMEOUT + 5)
        answered = [r for r in results if not isinstance(r, Unreachable)]
        cut = [r for r in results if isinstance(r, Unreachable) and not r.refused]
        active = [answer for status, answer in answered if status == 200 and isinstance(answer, dict) and answer.get("active") is True]
        used = [answer for status, answer in answered if (status, answer) == (200, {"active": False, "reason": "token_already_used"})]
        self.record_activations(token, len(active))
        revoked = entry["subject"] in self.revoked_subjects
        for answer in active:
            self.contract(answer.get("acr") == entry["acr"] and answer.get("subject_type") == entry["subject"][0]
                          and isinstance(answer.get("subject"), str), f"active answer for a {entry['acr']} {entry['subject'][0]} token: {answer}")
        if revoked:
            self.contract(not active and all(answer == {"active": False, "reason": "certification_revoked"} for _, answer in answered),
                          f"a held token of the revoked subject {entry['subject']} answered {answered}")
        else:
            self.contract(len(active) + len(used) == len(answered) and len(active) <= 1 and (cut or not answered or len(active) == 1),
                          f"{racers} verifications of a fresh token: one active, the rest token_already_used; got {answered} "
                          f"and {len(cut)} cut off")
        with self.lock:
            if active:
                entry["state"] = "redeemed"
                entry["acknowledged"] = True
                self.redemptions += 1
                self.pseudonyms.setdefault(entry["subject"], active[0].get("subject"))
            elif cut:
                entry["state"] = "unresolved"
            elif revoked and answered:
                entry["state"] = "revoked"
            elif not answered:
                entry["state"] = "held"    # every call refused: nothing reached the server
                if entry["subject"] not in self.victims:
                    self.held.append(token)
            else:
                entry["state"] = "unresolved"   # a contract failure above; check it again after the restart
        for status, answer in answered:
            self.count("verify " + (("active" if answer.get("active") else answer.get("reason"))
                                    if status == 200 and isinstance(answer, dict) else f"status {status}"))

    def record_activations(self, token, count):
        if count:
            with self.lock:
                self.activations[token] += count

    def after_approval(self, answer):
        """Redeem the new token at once (sometimes raced three times), or hold it for a later round."""
        if not (isinstance(answer, dict) and answer.get("status") == "approved"):
            return
        token = answer["token"]
        draw = self.rng.random()
        if draw < 0.12:
            with self.lock:
                self.held.append(token)
        else:
            self.verify(token, racers=3 if draw > 0.8 else 1)

    def individual(self, rng):
        person = rng.choice(self.plain_people)
        answer = self.apply({"subject_type": "individual", "name": person["name"], "resident_id": person["resident_id"]},
                            ("individual", person["resident_id"]), "individual")
        if answer is not None:
            self.contract(answer.get("status") == "approved", f"an active resident without a phone is approved at once: {answer}")
            self.after_approval(answer)

    def possession(self, rng, organization=None):
        person = rng.choice(self.phone_people)
        if organization is None:
            body = {"subject_type": "individual", "name": person["name"], "resident_id": person["resident_id"]}
            subject, kind = ("individual", person["resident_id"]), "individual with possession"
        else:
            body = organization_body(organization, person)
            subject, kind = ("organization", organization["organization_code"]), "organization with possession"
        answer = self.apply(body, subject, kind)
        if answer is None:
            return
        if not self.contract(answer.get("status") == "pending_possession" and answer.get("possession", {}).get("attempts_left") == 5,
                             f"{kind}: the application waits for the code, 5 attempts: {answer}"):
            return
        application_id = answer["application_id"]
        with self.lock:
            code = self.pending[application_id]["code"]
        if code is None:
            return
        draw = rng.random()
        if draw < 0.15:
            with self.lock:
                self.leftover.append(application_id)     # confirmed in a later round, after a kill
            return
        if draw < 0.4:
            status, wrong = self.confirm(application_id, wrong_code(code))
            self.contract(status == 200 and wrong.get("status") == "pending_possession" and wrong.get("reason") == "possession_code_wrong"
                          and wrong.get("possession", {}).get("attempts_left") == 4, f"a wrong code: {status} {wrong}")
        if draw > 0.9:
            self.confirm_race(application_id, code)
        else:
            status, confirmed = self.confirm(application_id, code)
            self.contract(status == 200 and confirmed.get("status") == "approved" and confirmed.get("token"),
                          f"the right code approves {application_id}: {status} {confirmed}")
            self.after_approval(confirmed)

    def confirm_race(self, application_id, code):
        """The right code twice at once: one approval, one 409."""
        results = []

        def one():
            try:
                results.append(self.confirm(application_id, code))
            except Unreachable as error:
                results.append(error)
        helper = threading.Thread(target=one)
        helper.start()
        one()
        helper.join(CALL_TIMEOUT + 5)
        answered = [r for r in results if not isinstance(r, Unreachable)]
        approved = [answer for status, answer in answered if status == 200 and answer.get("status") == "approved"]
        conflicts = [answer for status, answer in answered if status == 409 and answer.get("error") == "application_not_pending"]
        self.contract(len(approved) <= 1 and len(approved) + len(conflicts) == len(answered)
                      and (len(answered) < 2 or len(approved) == 1),
                      f"the right code twice at once: one approval and one 409 application_not_pending, got {answered}")
        for answer in approved:
            self.after_approval(answer)

    def organization(self, rng):
        organization = rng.choice(self.organizations)
        if rng.random() < 0.3:
            return self.possession(rng, organization)
        operator = rng.choice(self.plain_people)
        answer = self.apply(organization_body(organization, operator), ("organization", organization["organization_code"]), "organization")
        if answer is not None:
            self.contract(answer.get("status") == "approved", f"an active organization with a plain operator is approved: {answer}")
            self.after_approval(answer)

    def refused(self, rng):
        if rng.random() < 0.7:
            person, other = rng.choice(self.plain_people), rng.choice(self.plain_people)
            if person["name"] == other["name"]:
                return
            body = {"subject_type": "individual", "name": other["name"], "resident_id": person["resident_id"]}
        else:
            person = rng.choice(self.inactive_people)
            body = {"subject_type": "individual", "name": person["name"], "resident_id": person["resident_id"]}
        answer = self.apply(body, ("individual", person["resident_id"]), "refused individual")
        if answer is not None:
            self.contract(answer.get("status") == "rejected" and answer.get("reason") == "registry_mismatch",
                          f"a wrong name or an inactive resident is rejected registry_mismatch: {answer}")

    def later(self, rng):
        """Work left by an earlier round: a held token to verify, or a pending application to confirm."""
        with self.lock:
            token = self.held.pop(rng.randrange(len(self.held))) if self.held and rng.random() < 0.6 else None
            application_id = self.leftover.pop(rng.randrange(len(self.leftover))) if token is None and self.leftover else None
            pending = self.pending.get(application_id) if application_id else None
        if token is not None:
            self.verify(token, racers=2 if rng.random() < 0.3 else 1)
        elif application_id is not None and pending is not None:
            status, answer = self.confirm(application_id, pending["code"])
            self.contract(status == 200 and (answer.get("status") == "approved" and answer.get("token") or expired(answer, pending)),
                          f"a code confirmed in a later round approves {application_id}: {status} {answer}")
            self.after_approval(answer)
        return token is not None or application_id is not None

    def worker(self, seed):
        rng = random.Random(seed)
        while not self.stop_flag.is_set() and time.time() < self.round_deadline:
            draw = rng.random()
            try:
                if draw < 0.2 and self.later(rng):
                    continue
                if draw < 0.5:
                    self.individual(rng)
                elif draw < 0.7:
                    self.possession(rng)
                elif draw < 0.85:
                    self.organization(rng)
                else:
                    self.refused(rng)
            except Unreachable:
                time.sleep(0.05)
            except Exception as error:     # a bug of this test: fail, do not hang
                self.contract(False, f"worker error {error!r}")
                import traceback
                traceback.print_exc()
                time.sleep(0.05)

    def keep_checkpoints(self):
        """Fetch the newest signed checkpoint every half second, as an auditor would, and keep every new one:
        `idca audit verify --checkpoint` then proves that no kill took back what a checkpoint covered."""
        while not self.stop_flag.is_set() and time.time() < self.round_deadline:
            try:
                status, checkpoint = self.call("GET", "/v1/audit/checkpoints/latest", api_key=self.auditor_key)
            except Unreachable:
                return
            self.keep(status, checkpoint)
            self.stop_flag.wait(0.5)

    def keep(self, status, checkpoint):
        if status == 404:
            return
        if not self.contract(status == 200 and isinstance(checkpoint, dict) and isinstance(checkpoint.get("sequence"), int),
                             f"GET /v1/audit/checkpoints/latest: {status} {checkpoint}"):
            return
        with self.lock:
            if checkpoint["sequence"] in self.checkpoints:
                return
            path = os.path.join(self.directory, f"checkpoint-{checkpoint['sequence']}.json")
            self.checkpoints[checkpoint["sequence"]] = path
        with open(path, "w") as file:
            json.dump(checkpoint, file)

    # --- revocation ----------------------------------------------------------------------------------------------

    def victim(self, which, round_started, revoke_after):
        """Certify one subject a few times, redeem some tokens, hold the rest, and revoke it with the CLI while the
        server runs. Its held tokens must then answer `certification_revoked` for ever."""
        if which == "individual":
            person = self.victim_people[0]
            subject = ("individual", person["resident_id"])
            body = {"subject_type": "individual", "name": person["name"], "resident_id": person["resident_id"]}
            command = ["--resident-id", person["resident_id"]]
        else:
            organization = self.victim_organizations[0]
            subject = ("organization", organization["organization_code"])
            body = organization_body(organization, self.victim_people[1])
            command = ["--organization-code", organization["credit_code"] or organization["organization_code"]]
        with self.lock:
            self.victims.add(subject)
        tokens = []
        for _ in range(4):
            try:
                answer = self.apply(body, subject, f"{which} to revoke")
            except Unreachable:
                continue
            if answer and answer.get("status") == "approved":
                tokens.append(answer["token"])
        for token in tokens[:2]:
            self.verify(token)
        time.sleep(max(0.0, round_started + revoke_after - time.time()))
        alive = self.server.alive() and self.killed_at is None
        revoked = idca_command(self.idca, self.directory, self.database, "certifications", "revoke", *command,
                               "--reason", "impersonation", "--json", timeout=60)
        try:
            result = json.loads(revoked.stdout or "{}")
        except ValueError:
            result = {}
        with self.lock:
            issued = [t for t, e in self.tokens.items() if e["subject"] == subject]
        if revoked.returncode != 0:
            # Only a subject none of whose approvals was acknowledged may hold nothing to revoke.
            check(not issued and result == {"revoked": False},
                  f"idca certifications revoke of a subject with {len(issued)} acknowledged approvals: exit {revoked.returncode} "
                  f"{revoked.stdout[-300:]} {revoked.stderr[-500:]}")
            return
        if not check(result.get("revoked") is True and result.get("revoked_at"), f"revoke --json: {revoked.stdout[-300:]}"):
            return
        with self.lock:
            self.revoked_subjects.add(subject)
            redeemed = [t for t in issued if self.tokens[t]["state"] == "redeemed"]
            held = [t for t in issued if self.tokens[t]["state"] == "held"]
            uncertain = [t for t in issued if self.tokens[t]["state"] not in ("redeemed", "held")]
            revocation = Revocation(subject, result.get("revocation"), self.pseudonyms.get(subject), result["revoked_at"], redeemed, held,
                                    uncertain)
            self.revocations.append(revocation)
        log(f"revoked the {which} {subject[1]} at {result['revoked_at']} ({'server up' if alive else 'server killed meanwhile'}): "
            f"{len(redeemed)} tokens redeemed before, {len(held)} held, {len(uncertain)} uncertain")
        # The first held token, at once, on the running server.
        if held and self.killed_at is None:
            try:
                self.verify(held[0])
            except Unreachable:
                pass

    # --- a round: load, kill, restart ---------------------------------------------------------------------------

    def round(self, number, kills, victim=None, kill_starting=False):
        kill_after = self.rng.uniform(*ROUND_SECONDS) if victim is None else self.rng.uniform(2.5, ROUND_SECONDS[1])
        before = (len(self.approvals), self.redemptions, len(self.rejections))
        self.stop_flag.clear()
        self.killed_at = None
        round_started = time.time()
        self.round_deadline = round_started + kill_after + 10
        workers = [threading.Thread(target=self.worker, args=(self.rng.random(),), daemon=True) for _ in range(self.threads)]
        if victim:
            workers.append(threading.Thread(target=self.victim, args=(victim, round_started, self.rng.uniform(1.0, kill_after - 0.5)),
                                            daemon=True))
        workers.append(threading.Thread(target=self.keep_checkpoints, daemon=True))
        for worker in workers:
            worker.start()
        time.sleep(max(0.0, round_started + kill_after - time.time()))
        check(self.server.alive(), f"the server was still running when kill {number} came")
        self.killed_at = time.time()
        self.server.kill()                  # SIGKILL at a random moment of the load
        self.kills += 1
        self.stop_flag.set()
        for worker in workers:
            worker.join(timeout=CALL_TIMEOUT + 60)
        check(not any(worker.is_alive() for worker in workers), f"the load stopped after kill {number}")
        log(f"kill {number}/{kills}: SIGKILL after {kill_after:.2f} s of load (+{len(self.approvals) - before[0]} approvals, "
            f"+{self.redemptions - before[1]} redemptions, +{len(self.rejections) - before[2]} rejections acknowledged)")
        port = self.server.port
        if kill_starting:
            # Once per run, one more kill while the restarted server is still starting: opening the
            # database, recovering its journal, running migrations, binding the port.
            self.server.launch(0)
            delay = self.rng.uniform(0.0, 0.5)
            time.sleep(delay)
            check(self.server.alive(), f"the restarting server was still running when killed after {delay:.2f} s")
            self.server.kill()
            self.starting_kills += 1
            log(f"kill {number}/{kills} again: SIGKILL {delay:.2f} s into the restart")
        try:
            self.server.start(port=port)      # the same address, as clients expect
        except RuntimeError as error:
            log(f"port {port} not free yet ({str(error).splitlines()[0]}); restarting on a new port")
            self.server.start(port=0)
        self.killed_at = None
        check(self.server.wait_healthy(), f"the server is healthy after restart {number}")

    # --- checks after a restart ------------------------------------------------------------------------------------

    def map(self, function, items):
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            return list(pool.map(function, items))

    def safe_call(self, method, path, body=None, api_key=None):
        """A call in the check phase, where the server is up: no answer is a failure."""
        try:
            return self.server.call(method, path, body, api_key=api_key, timeout=CALL_TIMEOUT)
        except Unreachable as error:
            with self.lock:
                self.alive_failures.append(str(error)[:300])
            return None, str(error)

    def check_everything(self, when):
        began = time.time()
        lost_before = len(self.lost)
        checked = 0
        with self.lock:
            approvals = dict(self.approvals)
            rejections = dict(self.rejections)
            pending = dict(self.pending)
            redeemed = [t for t, e in self.tokens.items() if e["state"] == "redeemed"]
            unresolved = [t for t, e in self.tokens.items() if e["state"] in ("unresolved", "sending")]
            revocations = list(self.revocations)

        # Every acknowledged approval and rejection reads back as such.
        def lookup(application_id):
            return application_id, *self.safe_call("GET", f"/v1/applications/{application_id}")
        for application_id, status, answer in self.map(lookup, sorted(approvals)):
            if not (status == 200 and isinstance(answer, dict) and answer.get("status") == "approved"
                    and answer.get("application_id") == application_id):
                self.lost.append(f"acknowledged approval {application_id}: {status} {answer}")
        for application_id, status, answer in self.map(lookup, sorted(rejections)):
            if not (status == 200 and isinstance(answer, dict) and answer.get("status") == "rejected"
                    and answer.get("reason") == rejections[application_id]):
                self.lost.append(f"acknowledged rejection {application_id} ({rejections[application_id]}): {status} {answer}")
        checked += len(approvals) + len(rejections)

        # Acknowledged pending applications are still pending, unless a confirmation of them was cut off.
        for application_id, status, answer in self.map(lookup, sorted(pending)):
            state = answer.get("status") if status == 200 and isinstance(answer, dict) else None
            if state == "pending_possession":
                # Every acknowledged wrong code spent its attempt for good; a cut-off confirmation may have spent one.
                acknowledged, cut = pending[application_id]["attempts_left"], self.confirm_cut_ids[application_id]
                left = answer.get("possession", {}).get("attempts_left")
                if not (isinstance(left, int) and acknowledged - cut <= left <= acknowledged):
                    self.lost.append(f"pending application {application_id}: {left} attempts left, acknowledged {acknowledged}, "
                                     f"{cut} confirmations cut off")
                with self.lock:
                    if application_id not in self.leftover:
                        self.leftover.append(application_id)    # its confirmation was cut off: confirm it later
                continue
            if state == "rejected" and answer.get("reason") == "possession_code_expired" and \
                    time.time() - pending[application_id]["since"] >= CODE_SECONDS - 5:
                with self.lock:     # a slow run: this lookup itself decided it (documented), and answered so
                    self.rejections[application_id] = "possession_code_expired"
                    self.pending.pop(application_id, None)
                    if application_id in self.leftover:
                        self.leftover.remove(application_id)
                continue
            if state in ("approved", "rejected") and application_id in self.confirm_cut_ids:
                with self.lock:
                    self.found[application_id] = state
                    self.pending.pop(application_id, None)
                    if application_id in self.leftover:
                        self.leftover.remove(application_id)
                continue
            self.lost.append(f"acknowledged pending application {application_id}: {status} {answer}")
        checked += len(pending)

        # Every acknowledged redemption is still redeemed.
        def reverify(token):
            status, answer = self.safe_call("POST", "/v1/tokens/verify", {"token": token}, api_key=self.site_key)
            if status == 200 and isinstance(answer, dict) and answer.get("active") is True:
                self.record_activations(token, 1)
            return token, status, answer
        for token, status, answer in self.map(reverify, redeemed):
            if (status, answer) != (200, {"active": False, "reason": "token_already_used"}):
                self.lost.append(f"acknowledged redemption of {self.tokens[token]['application']}: {status} {answer}")
        checked += len(redeemed)

        # A verification cut off by the kill either committed (token_already_used now) or not (active now, once).
        # A token of a revoked subject may only be token_already_used or certification_revoked.
        for token, status, answer in self.map(reverify, unresolved):
            entry = self.tokens[token]
            revoked = entry["subject"] in self.revoked_subjects
            allowed = [{"active": False, "reason": "token_already_used"}] + \
                ([{"active": False, "reason": "certification_revoked"}] if revoked else [])
            if status == 200 and isinstance(answer, dict) and answer.get("active") is True and not revoked:
                with self.lock:
                    entry["state"] = "redeemed"
                    entry["acknowledged"] = True
                    self.redemptions += 1
            elif status == 200 and answer in allowed:
                with self.lock:
                    entry["state"] = "redeemed" if answer["reason"] == "token_already_used" else "revoked"
            else:
                self.lost.append(f"token of {entry['application']} whose verification was cut off "
                                 f"({'revoked subject' if revoked else 'active or token_already_used expected'}): {status} {answer}")
        checked += len(unresolved)

        # Acknowledged revocations hold: held tokens refused, the site told.
        for revocation in revocations:
            for token, status, answer in self.map(reverify, revocation.held):
                if (status, answer) != (200, {"active": False, "reason": "certification_revoked"}):
                    self.lost.append(f"held token of the revoked {revocation.subject}: {status} {answer}")
            for token, status, answer in self.map(reverify, revocation.redeemed):
                if (status, answer) != (200, {"active": False, "reason": "token_already_used"}):
                    self.lost.append(f"redeemed token of the revoked {revocation.subject}: {status} {answer}")
            checked += len(revocation.held) + len(revocation.redeemed)
            if revocation.pseudonym:
                entries = self.feed()
                mine = [e for e in entries if e.get("subject") == revocation.pseudonym]
                if not (mine and mine[-1].get("reason") == "impersonation" and mine[-1].get("revoked_at") == revocation.revoked_at):
                    self.lost.append(f"the site's feed lacks the revocation of {revocation.subject} at {revocation.revoked_at}: {mine}")
                status, answer = self.safe_call("GET", f"/v1/sites/me/subjects/{revocation.pseudonym}", api_key=self.site_key)
                if not (status == 200 and isinstance(answer, dict) and answer.get("status") == "revoked"
                        and answer.get("revoked_at") == revocation.revoked_at):
                    self.lost.append(f"the site's view of the revoked {revocation.subject}: {status} {answer}")
                checked += 2
        self.checked += checked

        twice = {t: n for t, n in self.activations.items() if n > 1}
        check(not twice, f"no token answered active twice ({when}): {len(twice)} were")
        new_lost = self.lost[lost_before:]
        check(not new_lost, f"nothing acknowledged is lost {when}: {len(new_lost)} lost, e.g. {new_lost[:5]}")
        with self.lock:
            unexpected, self.unexpected = self.unexpected, []
            alive_failures, self.alive_failures = self.alive_failures, []
        check(not unexpected, f"every answer as documented (up to {when}): {len(unexpected)} not, e.g. {unexpected[:5]}")
        check(not alive_failures, f"no call went unanswered while the server was up (up to {when}): {alive_failures[:5]}")
        check(not self.server_errors, f"no 5xx answer (up to {when}): {len(self.server_errors)}, e.g. {self.server_errors[:5]}")

        self.keep(*self.safe_call("GET", "/v1/audit/checkpoints/latest", api_key=self.auditor_key))
        report = live_server.audit_verify(self.idca, self.directory, self.database, when, check, self.checkpoints.values())
        figures = self.check_statistics(when)
        print(f"crash ({self.backend}) {when}: acknowledged {len(self.approvals)} approvals, {self.redemptions} redemptions, "
              f"{len(self.rejections)} rejections, {len(self.pending)} pending, {len(self.revocations)} revocations; "
              f"checked {checked}; lost {len(new_lost)}; {figures}; audit log intact: {report.get('entries')} entries, "
              f"{len(self.checkpoints)} checkpoints kept; checks took {time.time() - began:.1f} s", flush=True)

    def feed(self):
        entries, since = [], "0"
        for _ in range(100):
            status, page = self.safe_call("GET", f"/v1/sites/me/revocations?since={since}&limit=1000", api_key=self.site_key)
            if not check(status == 200 and isinstance(page, dict), f"the site's revocation feed: {status} {page}"):
                break
            entries += page["revocations"]
            if len(page["revocations"]) < 1000:
                break
            since = page["next_cursor"]
        return entries

    def read_log(self, when):
        """The log's decisions (application id -> outcome), read through the API from where the last read ended:
        the entries read before must still be there (`idca audit verify` with the kept checkpoints proves the
        rest), and the new ones must continue the chain without a gap."""
        if self.log_head:
            status, page = self.safe_call("GET", f"/v1/audit/entries?after={self.log_head['sequence'] - 1}&limit=1",
                                          api_key=self.auditor_key)
            check(status == 200 and page.get("entries") and page["entries"][0] == self.log_head,
                  f"the last audit entry read before is unchanged {when}: {status} {str(page)[:300]}")
        after, entries = (self.log_head or {}).get("sequence", 0), []
        while after is not None:
            status, page = self.safe_call("GET", f"/v1/audit/entries?after={after}&limit=1000", api_key=self.auditor_key)
            if not check(status == 200 and isinstance(page, dict), f"audit entries after {after}: {status} {str(page)[:300]}"):
                break
            entries += page["entries"]
            after = page["next_after"]
        chain = ([self.log_head] if self.log_head else []) + entries
        check([e["sequence"] for e in chain] == list(range(chain[0]["sequence"] if chain else 1, (chain[0]["sequence"] if chain else 1) + len(chain)))
              and all(b["prev_hash"] == a["hash"] for a, b in zip(chain, chain[1:])),
              f"the audit log continues without a gap or a broken link {when}")
        if entries:
            self.log_head = entries[-1]
        for e in entries:
            if e.get("type") == "application.decided":
                self.decided[e.get("object")] = e.get("outcome")
            elif e.get("type") == "token.issued":
                self.log_issued.add(e.get("object"))
            elif e.get("type") == "token.planned":
                self.log_planned.add(e.get("object"))
            elif e.get("type") == "token.verified" and e.get("outcome") == "active":
                self.log_active[e.get("object")] += 1
            elif e.get("type") == "certification.revoked":
                self.log_revocations.add(e.get("object"))
        return self.decided

    def check_statistics(self, when):
        with self.lock:
            acknowledged_approved, acknowledged_rejected = len(self.approvals), len(self.rejections)
            found_approved = sum(1 for s in self.found.values() if s == "approved")
            found_rejected = sum(1 for s in self.found.values() if s == "rejected")
            in_flight = self.applications_cut + self.confirms_cut
        acknowledged = acknowledged_approved + acknowledged_rejected
        low = acknowledged + found_approved + found_rejected
        high = acknowledged + in_flight
        totals = live_server.statistics(self.server, self.auditor_key, check)
        counted, approved, rejected = totals.get("applications"), totals.get("approved"), totals.get("rejected")
        check(isinstance(counted, int) and low <= counted <= high and counted == (approved or 0) + (rejected or 0)
              and acknowledged_approved + found_approved <= approved <= acknowledged_approved + in_flight - found_rejected
              and acknowledged_rejected + found_rejected <= rejected <= acknowledged_rejected + in_flight - found_approved,
              f"statistics {when}: {totals}; acknowledged {acknowledged_approved} approved + {acknowledged_rejected} rejected, "
              f"found {found_approved} + {found_rejected}, in flight {in_flight}")
        # The log's decisions: one for every acknowledged one, and as many as the statistics count.
        decided = self.read_log(when)
        missing = [a for a in list(self.approvals) + list(self.rejections) if a not in decided]
        check(not missing, f"the audit log holds every acknowledged decision {when}: {len(missing)} missing, e.g. {missing[:3]}")
        check(len(decided) == counted, f"the statistics equal the log's decisions {when}: {counted} vs {len(decided)}")
        # Tokens: `token.issued` is committed before the token is answered, the redemption's `token.verified`
        # with the redemption, and the revocation's `certification.revoked` with the revocation.
        with self.lock:
            approved_ids = [token_id(a["token"]) for a in self.approvals.values()]
            redeemed_ids = [token_id(t) for t, e in self.tokens.items() if e.get("acknowledged")]
            revocations = [f"revocation:{r.number}" for r in self.revocations]
        unissued = [j for j in approved_ids if j not in self.log_issued]
        check(not unissued, f"the log holds token.issued for every acknowledged approval {when}: {len(unissued)} missing")
        unlogged = [j for j in redeemed_ids if self.log_active[j] < 1]
        check(not unlogged, f"the log holds an active token.verified for every acknowledged redemption {when}: {len(unlogged)} missing")
        twice = [j for j, n in self.log_active.items() if n > 1]
        check(not twice, f"no token is redeemed twice in the log {when}: {twice[:3]}")
        check(all(r in self.log_revocations for r in revocations),
              f"the log holds every acknowledged revocation {when}: {revocations} vs {sorted(self.log_revocations)}")
        extra = len(decided) - acknowledged
        return (f"statistics {counted} decisions ({approved} approved, {rejected} rejected) = acknowledged {acknowledged} "
                f"+ {extra} decided by calls cut off, {low} ≤ {counted} ≤ {high} (in flight at kills {in_flight}: "
                f"{self.applications_cut} applications, {self.confirms_cut} confirmations; found decided {low - acknowledged})")

    # --- the end -----------------------------------------------------------------------------------------------------

    def finish(self):
        """Verify every held token and confirm every pending application, with no kill: all must succeed."""
        with self.lock:
            held, self.held = self.held, []
            leftover, self.leftover = [a for a in self.leftover if a in self.pending], []
        self.killed_at = None
        for application_id in leftover:
            pending = self.pending[application_id]
            try:
                status, answer = self.confirm(application_id, pending["code"])
            except Unreachable:
                continue
            self.contract(status == 200 and (answer.get("status") == "approved" or expired(answer, pending)),
                          f"a pending application confirmed at the end: {status} {answer}")
            if status == 200 and answer.get("status") == "approved":
                held.append(answer["token"])

        def one(token):
            try:
                self.verify(token)
            except Unreachable:
                pass
        self.map(one, held)
        with self.lock:
            unredeemed = [t for t in held if self.tokens[t]["state"] != "redeemed"]
        check(not unredeemed, f"every held token verifies once at the end: {len(unredeemed)} did not")
        log(f"finished: {len(held)} held tokens verified, {len(leftover)} pending applications confirmed")


def organization_body(organization, operator):
    """An organization's application, by its credit code or, for one registered without, its organization code."""
    codes = {"credit_code": organization["credit_code"]} if organization["credit_code"] else \
        {"organization_code": organization["organization_code"]}
    return {"subject_type": "organization", "organization_name": organization["name"], **codes,
            "legal_representative": organization["legal_representative"],
            "operator": {"name": operator["name"], "resident_id": operator["resident_id"]}}


def run_backend(backend, idca, arguments, seed):
    backend_started = time.time()
    rng = random.Random(seed)
    directory = tempfile.mkdtemp(prefix=f"idca-crash-{backend}-")
    log(f"{backend}: working directory {directory}, seed {seed}")
    with contextlib_database(backend, check) as database:
        if database is None:
            return
        run = CrashRun(backend, idca, directory, database, rng, arguments.threads)
        try:
            if not run.setup():
                return
            run.server.start()
            check(run.server.wait_healthy(), "the server is healthy")
            rounds = max(5, arguments.kills)
            victims = dict(zip(sorted(rng.sample(range(1, rounds), 2)), ["individual", "organization"]))
            starting_kill = rng.randrange(1, rounds)
            for number in range(1, rounds + 1):
                if time.time() - backend_started > BACKEND_BUDGET:
                    check(False, f"{backend}: the run took over {BACKEND_BUDGET} s; stopped before kill {number}")
                    break
                run.round(number, rounds, victims.get(number), kill_starting=number == starting_kill)
                run.check_everything(f"after kill {number}")
            run.finish()
            run.check_everything("at the end")
            code = run.server.stop()
            check(code == 0, f"the server stops on SIGTERM with status 0 (got {code})")
            live_server.audit_verify(idca, directory, database, "after the server stopped", check, run.checkpoints.values())
            check(run.kills >= 5, f"at least 5 kills: {run.kills}")
            check(len(run.revocations) == 2, f"two revocations acknowledged: {len(run.revocations)}")
            check(len(run.checkpoints) >= 2, f"signed checkpoints were kept during the run: {len(run.checkpoints)}")
            revoked_refused = sum(len(r.held) for r in run.revocations)
            unissued = len(run.log_planned - run.log_issued)
            lost = len(run.lost)
            print(f"crash ({backend}): {run.kills} kills under load and {run.starting_kills} while starting; acknowledged {len(run.approvals)} approvals "
                  f"({sum(1 for a in run.approvals.values() if 'possession' in a['kind'])} after a possession code, "
                  f"{sum(1 for a in run.approvals.values() if a['kind'].startswith('organization'))} organizations), "
                  f"{run.redemptions} redemptions, {len(run.rejections)} rejections, {len(run.revocations)} revocations "
                  f"({revoked_refused} held tokens answered certification_revoked after every restart); checked {run.checked}; "
                  f"lost {lost}; {unissued} approvals recorded whose token a kill stopped before it was issued; "
                  f"{time.time() - backend_started:.1f} s", flush=True)
            log(f"{backend}: unanswered calls {dict(run.unanswered)}; answers {dict(sorted(run.answers.items()))}")
        except Exception as error:
            check(False, f"{backend}: the test itself broke: {error!r}")
            import traceback
            traceback.print_exc()
        finally:
            run.server.close()
            if tally.failed:
                run.server.print_notable_log_lines()
            if arguments.keep:
                print(f"crash ({backend}): kept {directory}")
            else:
                shutil.rmtree(directory, ignore_errors=True)


class contextlib_database:
    """The database of a backend run: a file in the working directory, or a fresh PostgreSQL database."""

    def __init__(self, backend, check):
        self.backend, self.check, self.context = backend, check, None

    def __enter__(self):
        if self.backend == "sqlite":
            return "var/idca.sqlite"
        self.context = live_server.postgres_database(os.environ["IDCA_TEST_POSTGRES_URL"], "crash", self.check)
        return self.context.__enter__()

    def __exit__(self, *exc):
        if self.context:
            return self.context.__exit__(*exc)
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idca", required=True)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--kills", type=int, default=6, help="kills per backend (at least 5)")
    parser.add_argument("--threads", type=int, default=6, help="load threads")
    parser.add_argument("--seed", type=int, default=None, help="random seed (kill moments, subjects)")
    parser.add_argument("--keep", action="store_true", help="keep the working directories (server logs)")
    arguments = parser.parse_args()
    idca = os.path.abspath(arguments.idca)
    if not os.access(idca, os.X_OK):
        print(f"crash: {idca} is not an executable", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgres"] if arguments.backend == "both" else [arguments.backend]
    if "postgres" in backends and not os.environ.get("IDCA_TEST_POSTGRES_URL"):
        print("crash: IDCA_TEST_POSTGRES_URL is not set (run under Tests/Postgres/with_cluster.sh)", file=sys.stderr)
        return 2
    seed = arguments.seed if arguments.seed is not None else random.randrange(1 << 32)

    def terminate(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, terminate)
    try:
        for index, backend in enumerate(backends):
            run_backend(backend, idca, arguments, seed + index)
    except KeyboardInterrupt as interrupt:
        check(False, f"interrupted ({interrupt})")
    log("done")
    print(f"crash: {tally.passed} passed, {tally.failed} failed", flush=True)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
