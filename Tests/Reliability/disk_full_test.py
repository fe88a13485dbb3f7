"""Disk full (issue #8): the SQLite database and its WAL on a deliberately small tmpfs.

usage: python3 Tests/Reliability/disk_full_test.py --idca PATH_TO_IDCA   (as root: it mounts a tmpfs)

What it checks, against the real `idca serve` on 127.0.0.1 (a free port):

1. Before: acknowledged approvals, a rejection and redemptions on a seeded demo database.
2. Filling under load: eight clients apply while a filler file takes the rest of the filesystem.
   Every answer is `201 approved` or `503` with the documented body (`storage_unavailable`,
   Docs/ERRORS.md); never a 500, a hang (15 s) or a dropped connection, and the server stays up.
3. While full: /healthz answers (200 ok or 503 unavailable), the JWKS and /metrics answer 200,
   acknowledged applications read back, a verify is 503 and consumes nothing (or 200, and then it
   counts as a redemption), statistics read.
4. A sweep: for 0 to 128 KB of free space left, one application each. Some fit, most do not; this
   lands the disk-full error between the two commits of an approval (decision, then token).
5. Recovery without restart: the filler goes; applications are approved again by themselves;
   every approval acknowledged so far reads back and its token verifies (once); tokens whose
   verify got 503 were not consumed; the statistics equal the acknowledged decisions plus the
   approvals whose second write (the token's) failed, which must be exactly the documented
   two-phase state (Docs/AUDIT-LOG.md: `token.planned` without `token.issued`; their number is
   printed). Then the audit checkpointer meets a full disk, and signs by itself once space returns.
6. SQLite's WAL checkpoint on a full disk: a reader pins the WAL while approvals grow it, the
   disk fills, then a checkpoint runs (it cannot extend the database file); the server answers
   503 and reads; with space back, the checkpoint completes and nothing acknowledged is missing.
7. The audit checkpoint at shutdown on a full disk: SIGTERM with unsigned entries and no space;
   the server must exit promptly, not by a signal, and the next server, with space back, has
   every acknowledged approval. At the end `idca audit verify` passes and PRAGMA integrity_check
   is ok.

The mount, the servers and the temporary folder are always removed (try/finally). Every loop is
bounded in time. Ends with `disk full: N passed, M failed`; exit 1 on any failure.
"""
import argparse, concurrent.futures, datetime, errno, json, os, re, shutil, signal, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from serving import Tally, announced_port  # noqa: E402

TIMEOUT = 15
MOUNT_SIZE = "64m"
tally = Tally()
check = tally.check


def note(text):
    print("  ", text, flush=True)


class Server:
    """One `idca serve` on the test's database; `log` is its combined output."""

    def __init__(self, idca, work, database, keys, name, *options):
        self.log = open(os.path.join(work, f"serve-{name}.log"), "w+")
        self.last_headers = {}
        environment = dict(os.environ, IDCA_ADDRESS_BURST="100000", IDCA_ADDRESS_PER_MINUTE="100000")
        self.process = subprocess.Popen([idca, "serve", "--port", "0", "--database", database, "--keys", keys, *options],
                                        cwd=work, stdout=self.log, stderr=self.log, env=environment)
        self.port = announced_port(self.log, self.process, 60)
        if self.port is None:
            self.kill()
            raise RuntimeError("the server did not start:\n" + self.text())

    def text(self):
        self.log.flush()
        return open(self.log.name, errors="replace").read()

    def alive(self):
        return self.process.poll() is None

    def stop(self, timeout=30):
        """SIGTERM; the exit status, or None if it did not exit within `timeout` seconds (then killed)."""
        if not self.alive():
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def call(self, method, path, body=None, api_key=None, timeout=TIMEOUT):
        """(status, parsed body or text, seconds); status None for a timeout or a broken connection."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if api_key:
            request.add_header("Authorization", f"Bearer {api_key}")
        start = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text, self.last_headers = response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, text, self.last_headers = error.code, error.read().decode(), dict(error.headers)
        except Exception as error:  # timeout, refused, reset: the server hung or died
            return None, f"{type(error).__name__}: {error}", time.monotonic() - start
        try:
            parsed = json.loads(text) if text[:1] in "{[" else text
        except ValueError:
            parsed = text
        return status, parsed, time.monotonic() - start


class Fixture:
    def __init__(self, idca, work, mount):
        self.idca, self.work, self.mount = idca, work, mount
        self.database = os.path.join(mount, "idca.sqlite")
        self.keys = os.path.join(work, "keys")
        self.filler = os.path.join(mount, "filler")
        self.people = []
        self.next_person = 0
        self.lock = threading.Lock()
        # Every decision acknowledged with 201: application id -> {"approved", "token", "redeemed"}.
        self.acknowledged = {}
        self.pending_verify = []  # tokens whose verify answered 503: must still be unused
        self.refused = 0  # applications answered 503
        self.started = int(time.time())

    def run(self, *arguments, timeout=300):
        return subprocess.run([self.idca, *arguments], cwd=self.work, capture_output=True, text=True, timeout=timeout)

    def person(self):
        with self.lock:
            self.next_person += 1
            resident_id, name = self.people[self.next_person % len(self.people)]
        return {"subject_type": "individual", "name": name, "resident_id": resident_id}

    def apply(self, server, body=None):
        """POST one application; records it when acknowledged. Returns (status, body, seconds)."""
        status, answer, seconds = server.call("POST", "/v1/applications", body or self.person())
        if status == 503:
            with self.lock:
                self.refused += 1
        if status == 201 and isinstance(answer, dict):
            with self.lock:
                self.acknowledged[answer["application_id"]] = {
                    "approved": answer.get("status") == "approved", "token": answer.get("token"), "redeemed": False}
        return status, answer, seconds

    # The filesystem.

    def free_bytes(self):
        stats = os.statvfs(self.mount)
        return stats.f_bavail * stats.f_frsize

    def fill(self, leave=0):
        """Grows the filler until at most `leave` bytes are free (bounded by the mount's size)."""
        chunk_sizes = [1 << 20, 1 << 16, 4096]
        with open(self.filler, "ab", buffering=0) as filler:
            for size in chunk_sizes:
                for _ in range(64 * 1024 * 1024 // size + 2):
                    room = self.free_bytes() - leave
                    if room < size:
                        break
                    try:
                        if filler.write(b"\0" * size) < size:
                            break
                    except OSError as error:
                        if error.errno != errno.ENOSPC:
                            raise
                        break
            if leave == 0:
                # Less than a page is left; tmpfs allocates whole pages, so one more page takes it.
                try:
                    filler.write(b"\0" * 4096)
                except OSError:
                    pass
        return self.free_bytes()

    def unfill(self):
        if os.path.exists(self.filler):
            os.remove(self.filler)

    # What the database holds, read directly (read-only).

    def query(self, sql):
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def statistics(self, server, auditor):
        today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
        start, end = today - datetime.timedelta(days=3000), today + datetime.timedelta(days=1)
        status, answer, _ = server.call("GET", f"/v1/statistics/applications?format=json&from={start}&to={end}", api_key=auditor)
        if status != 200 or not isinstance(answer, dict):
            return status, None
        return status, answer["totals"]


def is_storage_error(status, answer):
    """503 with the documented error body: `error` and `message`, no `field` (Docs/ERRORS.md)."""
    return (status == 503 and isinstance(answer, dict) and set(answer) == {"error", "message"}
            and answer["error"] == "storage_unavailable" and isinstance(answer["message"], str) and answer["message"] != "")


def describe(outcomes):
    counts = {}
    for status, answer in outcomes:
        key = str(status) if status != 201 else f"201 {answer.get('status') if isinstance(answer, dict) else '?'}"
        if status not in (201, 503):
            key += f" {str(answer)[:120]}"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


def verify_all(fixture, server, site_key, what):
    """Every acknowledged approval reads back, and its token verifies once (or was already used by us)."""
    items = list(fixture.acknowledged.items())
    missing, wrong = [], []

    def one(item):
        application_id, record = item
        status, answer, _ = server.call("GET", f"/v1/applications/{application_id}")
        expected = "approved" if record["approved"] else "rejected"
        if status != 200 or not isinstance(answer, dict) or answer.get("status") != expected:
            return ("missing", application_id, status, answer)
        if not record["approved"]:
            return None
        status, answer, _ = server.call("POST", "/v1/tokens/verify", {"token": record["token"]}, api_key=site_key)
        if record["redeemed"]:
            if not (status == 200 and answer.get("active") is False and answer.get("reason") == "token_already_used"):
                return ("wrong", application_id, status, answer)
        elif status == 200 and answer.get("active") is True:
            record["redeemed"] = True
        else:
            return ("wrong", application_id, status, answer)
        return None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for result in pool.map(one, items):
            if result is not None:
                (missing if result[0] == "missing" else wrong).append(result[1:])
    check(not missing, f"{what}: every acknowledged decision reads back ({len(items)} checked; missing: {missing[:3]})")
    check(not wrong, f"{what}: every acknowledged approval's token verifies once, then reads as used ({wrong[:3]})")


def check_statistics(fixture, server, auditor, baseline, what):
    """The statistics equal the acknowledged decisions, plus the approvals whose second write failed.

    An approval commits twice: the decision (counted, with `token.planned`), then the token (with
    `token.issued`). When the disk fills between the two, the applicant gets 503, yet the
    application stays approved without a token and counted (Docs/AUDIT-LOG.md, two-phase token
    issuance; Docs/STATISTICS.md). Those are allowed here only as exactly that documented state:
    each has its `token.planned` entry and no `token.issued` one, and there are no more of them
    than applications answered 503. Their number is printed.
    """
    status, totals = fixture.statistics(server, auditor)
    if not check(status == 200 and totals is not None, f"{what}: statistics answer 200 ({status})"):
        return
    decisions = len(fixture.acknowledged)
    approvals = sum(1 for record in fixture.acknowledged.values() if record["approved"])
    counted, counted_approved = totals["applications"] - baseline["applications"], totals["approved"] - baseline["approved"]
    orphans = [row[0] for row in fixture.query(
        f"SELECT id FROM applications WHERE status = 'approved' AND token_id IS NULL AND decided_at >= {fixture.started}")]
    stored = fixture.query("SELECT count(*) FROM applications")[0][0]
    note(f"{what}: {counted} decisions counted ({counted_approved} approved); {decisions} acknowledged ({approvals} approved); "
         f"{len(orphans)} approved without a token after a 503 (of {fixture.refused} applications answered 503); {stored} stored")
    check(counted == decisions + len(orphans) and counted_approved == approvals + len(orphans),
          f"{what}: statistics = acknowledged decisions + approvals left without a token: {counted} = {decisions} + {len(orphans)}, "
          f"approved {counted_approved} = {approvals} + {len(orphans)}")
    check(len(orphans) <= fixture.refused, f"{what}: no more approvals without a token ({len(orphans)}) than 503 answers ({fixture.refused})")
    for application_id in orphans:
        planned = fixture.query(f"SELECT object FROM audit_log WHERE type = 'token.planned' AND detail LIKE '%{application_id}%'")
        issued = planned and fixture.query(f"SELECT count(*) FROM audit_log WHERE type = 'token.issued' AND object = '{planned[0][0]}'")[0][0]
        decided = fixture.query(f"SELECT count(*) FROM audit_log WHERE type = 'application.decided' AND object = '{application_id}'")[0][0]
        check(len(planned) == 1 and issued == 0 and decided == 1,
              f"{what}: {application_id}, approved without a token, has application.decided and token.planned but no token.issued "
              f"(decided {decided}, planned {planned}, issued {issued})")


def phase_before(fixture, server, site_key):
    print("== 1. before: acknowledged approvals, a rejection, redemptions", flush=True)
    for _ in range(20):
        status, answer, _ = fixture.apply(server)
        check(status == 201 and answer.get("status") == "approved", f"an application is approved ({status} {str(answer)[:200]})")
    rejected = json.load(open(os.path.join(fixture.work, "demo", "applications", "individual-typo-checksum.json")))
    status, answer, _ = fixture.apply(server, rejected)
    check(status == 201 and answer.get("status") == "rejected", f"a mistyped application is rejected ({status} {str(answer)[:200]})")
    approved = [record for record in fixture.acknowledged.values() if record["approved"]]
    for record in approved[:5]:
        status, answer, _ = server.call("POST", "/v1/tokens/verify", {"token": record["token"]}, api_key=site_key)
        check(status == 200 and answer.get("active") is True, f"a fresh token verifies ({status} {answer})")
        record["redeemed"] = status == 200 and answer.get("active") is True


def phase_fill_under_load(fixture, server):
    print("== 2. filling the filesystem under load (8 clients)", flush=True)
    outcomes, slowest = [], [0.0]
    stop = threading.Event()
    deadline = time.monotonic() + 90

    def client():
        consecutive = 0
        while not stop.is_set() and time.monotonic() < deadline and consecutive < 10:
            status, answer, seconds = fixture.apply(server)
            with fixture.lock:
                outcomes.append((status, answer))
                slowest[0] = max(slowest[0], seconds)
            consecutive = consecutive + 1 if status == 503 else 0
            if status is None:
                break

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    free = fixture.fill()
    with fixture.lock:
        full_from = len(outcomes)
    note(f"filler written: {os.path.getsize(fixture.filler) / 1e6:.1f} MB, {free} bytes free")
    for thread in threads:
        thread.join(timeout=max(1, deadline - time.monotonic() + 20))
    stop.set()
    note(f"answers: {describe(outcomes)}; slowest {slowest[0] * 1000:.0f} ms; after the filesystem was full: {describe(outcomes[full_from:])}")
    bad = [(s, a) for s, a in outcomes if not (s == 201 and isinstance(a, dict) and a.get("status") == "approved") and not is_storage_error(s, a)]
    check(any(is_storage_error(s, a) for s, a in outcomes), "writes fail with 503 storage_unavailable once the disk is full")
    check(not bad, f"every answer is 201 approved or 503 with the documented body (no 500, hang or dropped connection): {bad[:3]}")
    check(server.alive(), "the server is still running")
    check(slowest[0] < TIMEOUT, f"no answer took {TIMEOUT} s or more (slowest {slowest[0]:.1f} s)")


def phase_while_full(fixture, server, site_key, auditor):
    print("== 3. while full: reads, verify, statistics", flush=True)
    fixture.fill()
    status, answer, seconds = server.call("GET", "/healthz", timeout=5)
    note(f"/healthz while full: {status} {answer}")
    check((status, answer) in ((200, {"status": "ok"}), (503, {"status": "unavailable"})), f"/healthz answers ok or unavailable ({status} {answer})")
    status, answer, _ = server.call("GET", "/.well-known/jwks.json")
    check(status == 200 and isinstance(answer, dict) and len(answer.get("keys", [])) >= 1, f"the JWKS answers 200 ({status})")
    status, answer, _ = server.call("GET", "/metrics")
    check(status == 200, f"/metrics answers 200 ({status})")
    approved = [(application_id, record) for application_id, record in fixture.acknowledged.items() if record["approved"]]
    application_id, record = approved[0]
    status, answer, _ = server.call("GET", f"/v1/applications/{application_id}")
    check(status == 200 and answer.get("status") == "approved", f"an acknowledged approval reads back ({status} {answer})")
    unused = [record for _, record in approved if not record["redeemed"]][-3:]
    for record in unused:
        status, answer, _ = server.call("POST", "/v1/tokens/verify", {"token": record["token"]}, api_key=site_key)
        check(is_storage_error(status, answer) or (status == 200 and answer.get("active") is True),
              f"a verify while full answers 503 storage_unavailable (or 200 active) ({status} {answer})")
        if status == 503 and record is unused[0]:
            retry = {k.lower(): v for k, v in server.last_headers.items()}.get("retry-after")
            note(f"503 body while full: {answer}; Retry-After: {retry}")
        if status == 200 and answer.get("active") is True:
            record["redeemed"] = True
        else:
            fixture.pending_verify.append(record)
    note(f"verify of fresh tokens while full: {len(fixture.pending_verify)} answered 503, {len(unused) - len(fixture.pending_verify)} 200")
    status, answer, _ = server.call("POST", "/v1/tokens/verify", {"token": "not.a.token"}, api_key=site_key)
    check(status in (200, 503), f"a verify of garbage answers 200 inactive or 503 ({status} {answer})")
    status, answer, _ = fixture.apply(server, json.load(open(os.path.join(fixture.work, "demo", "applications", "individual-typo-checksum.json"))))
    check(is_storage_error(status, answer) or status == 201, f"a rejection while full answers 503 (it must be recorded) ({status} {answer})")
    status, totals = fixture.statistics(server, auditor)
    check(status == 200, f"statistics read while full ({status})")
    check(server.alive(), "the server is still running")


def phase_sweep(fixture, server):
    print("== 4. sweep: one application with 0, 4, … 128 KB free", flush=True)
    outcomes = []
    for kilobytes in range(0, 132, 4):
        fixture.unfill()
        free = fixture.fill(leave=kilobytes * 1024)
        status, answer, _ = fixture.apply(server)
        outcomes.append((status, answer))
        good = (status == 201 and answer.get("status") == "approved") or is_storage_error(status, answer)
        check(good, f"with {free} bytes free: 201 approved or 503 storage_unavailable ({status} {str(answer)[:200]})")
    note(f"answers: {describe(outcomes)}")
    check(server.alive(), "the server is still running")


def phase_recovery(fixture, server, site_key, auditor, baseline):
    print("== 5. space returns: recovery without restart", flush=True)
    fixture.unfill()
    deadline, recovered_after = time.monotonic() + 30, None
    start = time.monotonic()
    while time.monotonic() < deadline:
        status, answer, _ = fixture.apply(server)
        if status == 201 and answer.get("status") == "approved":
            recovered_after = time.monotonic() - start
            break
        time.sleep(0.2)
    check(recovered_after is not None, "applications are approved again, without a restart, once space returns")
    note(f"first approval {recovered_after if recovered_after is None else round(recovered_after, 2)} s after the filler went")
    answers = [fixture.apply(server)[:2] for _ in range(20)]
    check(all(s == 201 and a.get("status") == "approved" for s, a in answers), f"20 more applications are approved: {describe(answers)}")
    for record in fixture.pending_verify:
        status, answer, _ = server.call("POST", "/v1/tokens/verify", {"token": record["token"]}, api_key=site_key)
        check(status == 200 and answer.get("active") is True, f"a token whose verify got 503 was not consumed ({status} {answer})")
        record["redeemed"] = status == 200 and answer.get("active") is True
    fixture.pending_verify = []
    verify_all(fixture, server, site_key, "after recovery")
    check_statistics(fixture, server, auditor, baseline, "after recovery")


def truncate_wal(fixture):
    connection = sqlite3.connect(fixture.database, isolation_level=None, timeout=10)
    try:
        return connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()


def signed_head(fixture):
    return (fixture.query("SELECT max(seq) FROM audit_log")[0][0], fixture.query("SELECT max(seq) FROM audit_checkpoints")[0][0])


def wait_signed(fixture, seconds):
    deadline = time.monotonic() + seconds
    while True:
        head, signed = signed_head(fixture)
        if head == signed or time.monotonic() >= deadline:
            return head, signed
        time.sleep(0.2)


def phase_audit_checkpointer(fixture, server):
    print("== 5b. the audit checkpointer (every second here) on a full disk", flush=True)
    # Right after it has signed, it waits a second before the next: an approval and a full disk
    # within that second leave it an unsigned head it cannot store.
    failed_before = server.text().count("audit checkpoint failed")
    hit = False
    for _ in range(5):
        # An empty WAL first: SQLite reuses a WAL from its start after a checkpoint, and a reused
        # WAL has room for the next commits however full the filesystem is.
        truncate_wal(fixture)
        head, signed = wait_signed(fixture, 10)
        status, answer, _ = fixture.apply(server)
        fixture.fill()
        time.sleep(2.5)
        hit = server.text().count("audit checkpoint failed") > failed_before
        if hit:
            break
        fixture.unfill()
    check(hit, "the checkpointer met the full disk (its failure is logged)")
    failures = [line for line in server.text().splitlines() if "audit checkpoint failed" in line]
    note(f"{len(failures) - failed_before} failed checkpoint attempts logged; e.g. {failures[-1][:300] if failures else None}")
    check(server.alive(), "the server is still running")
    fixture.unfill()
    head, signed = wait_signed(fixture, 10)
    check(head == signed, f"with space back the checkpointer signs the head by itself (head {head}, latest checkpoint {signed})")


def phase_wal_checkpoint(fixture, server, site_key):
    print("== 6. a WAL checkpoint on a full disk", flush=True)
    reader = sqlite3.connect(fixture.database, isolation_level=None, timeout=10)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM applications").fetchone()  # pins the WAL: no checkpoint past here
        before = len(fixture.acknowledged)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: fixture.apply(server)[:2], range(300)))
        check(all(s == 201 and a.get("status") == "approved" for s, a in answers), f"300 approvals while a reader pins the WAL: {describe(answers)}")
        note(f"WAL {os.path.getsize(fixture.database + '-wal') / 1e6:.1f} MB, database {os.path.getsize(fixture.database) / 1e6:.1f} MB, "
             f"{len(fixture.acknowledged) - before} acknowledged")
        fixture.fill()
    finally:
        reader.execute("COMMIT")
        reader.close()
    checkpointer = sqlite3.connect(fixture.database, isolation_level=None, timeout=10)
    try:
        try:
            result = checkpointer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            outcome = f"returned {result} (busy, WAL frames, checkpointed)"
        except sqlite3.Error as error:
            outcome = f"failed: {error}"
        note(f"checkpoint on the full disk {outcome}")
        status, answer, _ = fixture.apply(server)
        check(is_storage_error(status, answer) or (status == 201 and answer.get("status") == "approved"),
              f"an application after the failed checkpoint answers 503 or 201 ({status} {answer})")
        application_id = next(reversed(fixture.acknowledged))
        status, answer, _ = server.call("GET", f"/v1/applications/{application_id}")
        check(status == 200, f"an acknowledged approval reads back while the checkpoint cannot finish ({status} {answer})")
        check(server.alive(), "the server is still running")
        fixture.unfill()
        result = checkpointer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        check(result[0] == 0, f"with space back the checkpoint completes ({result})")
    finally:
        checkpointer.close()
    status, answer, _ = fixture.apply(server)
    check(status == 201 and answer.get("status") == "approved", f"applications are approved after the checkpoint ({status} {str(answer)[:200]})")
    verify_all(fixture, server, site_key, "after the WAL checkpoint")
    integrity = fixture.query("PRAGMA integrity_check")
    check(integrity == [("ok",)], f"integrity_check is ok ({integrity[:3]})")


def phase_shutdown_full(fixture, site_key, server_options):
    print("== 7. the audit checkpoint at shutdown on a full disk", flush=True)
    # Nothing signs while it runs: the final checkpoint at SIGTERM is the one that meets the full disk.
    server = Server(fixture.idca, fixture.work, fixture.database, fixture.keys, "shutdown",
                    "--audit-checkpoint-interval", "86400", "--audit-checkpoint-entries", "1000000")
    try:
        # An empty WAL, so that what follows has to grow it: a WAL kept from before (SQLite reuses
        # it from the start after a checkpoint) would have room for the final checkpoint.
        truncate_wal(fixture)
        for _ in range(10):
            status, answer, _ = fixture.apply(server)
            check(status == 201 and answer.get("status") == "approved", f"an application is approved ({status} {str(answer)[:200]})")
        head = fixture.query("SELECT max(seq) FROM audit_log")[0][0]
        signed = fixture.query("SELECT max(seq) FROM audit_checkpoints")[0][0]
        check(head > (signed or 0), f"there are unsigned entries before shutdown (head {head}, signed {signed})")
        wal = fixture.database + "-wal"
        note(f"before the fill: WAL {os.path.getsize(wal) if os.path.exists(wal) else None} bytes")
        fixture.fill()
        start = time.monotonic()
        code = server.stop(timeout=30)
        note(f"SIGTERM on a full disk: exit status {code} after {time.monotonic() - start:.1f} s; "
             f"last log line: {server.text().strip().splitlines()[-1][:300]}")
        check(code is not None, "the server exits within 30 s of SIGTERM on a full disk (no hang)")
        head = fixture.query("SELECT max(seq) FROM audit_log")[0][0]
        check(code is None or code >= 0, f"the server is not killed by a signal ({code})")
    finally:
        server.kill()
        fixture.unfill()
    server = Server(fixture.idca, fixture.work, fixture.database, fixture.keys, "after-shutdown", *server_options)
    try:
        after = fixture.query("SELECT max(seq) FROM audit_log")[0][0]
        check(after == head, f"the restarted server finds the audit log as it was ({after} entries, {head} before)")
        verify_all(fixture, server, site_key, "after the shutdown on a full disk")
        status, answer, _ = fixture.apply(server)
        check(status == 201 and answer.get("status") == "approved", f"the restarted server approves ({status} {str(answer)[:200]})")
    finally:
        code = server.stop()
        check(code == 0, f"the restarted server stops cleanly with space available ({code})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idca", required=True, help="path to the idca binary")
    arguments = parser.parse_args()
    idca = os.path.abspath(arguments.idca)
    if os.geteuid() != 0:
        print("disk full: needs root (it mounts a size-limited tmpfs)")
        return 2

    work = tempfile.mkdtemp(prefix="idca-diskfull-")
    mount = os.path.join(work, "db")
    os.mkdir(mount)
    mounted = False
    servers = []
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={MOUNT_SIZE},mode=0700", "tmpfs", mount], check=True, timeout=30)
        mounted = True
        fixture = Fixture(idca, work, mount)
        result = fixture.run("keys", "generate", "--database", fixture.database, "--keys", fixture.keys)
        check(result.returncode == 0, f"keys generate: {result.stderr}")
        result = fixture.run("demo", "seed", "--database", fixture.database, "--keys", fixture.keys, "--output", os.path.join(work, "demo"),
                             "--residents", "5000", "--organizations", "200", "--traffic", "300")
        check(result.returncode == 0, f"demo seed: {result.stderr}")
        result = fixture.run("auditors", "add", "--name", "Disk", "--json", "--database", fixture.database, "--keys", fixture.keys)
        auditor = json.loads(result.stdout)["api_key"]
        site_key = json.load(open(os.path.join(work, "demo", "site.json")))["api_key"]
        for line in open(os.path.join(work, "demo", "residents.csv"), encoding="utf-8"):
            found = re.match(r"^([^,]+),([^,]+),active,?\s*$", line)
            if found:
                fixture.people.append((found.group(1), found.group(2)))
        note(f"database on a {MOUNT_SIZE} tmpfs: {os.path.getsize(fixture.database) / 1e6:.1f} MB after seeding; "
             f"{len(fixture.people)} residents without a phone to apply with")

        options = ["--audit-checkpoint-interval", "1"]
        server = Server(idca, work, fixture.database, fixture.keys, "main", *options)
        servers.append(server)
        status, baseline = fixture.statistics(server, auditor)
        check(status == 200, f"statistics before ({status})")

        phase_before(fixture, server, site_key)
        phase_fill_under_load(fixture, server)
        phase_while_full(fixture, server, site_key, auditor)
        phase_sweep(fixture, server)
        phase_recovery(fixture, server, site_key, auditor, baseline)
        phase_audit_checkpointer(fixture, server)
        phase_wal_checkpoint(fixture, server, site_key)
        check_statistics(fixture, server, auditor, baseline, "after the WAL checkpoint")
        fatal = [line for line in server.text().splitlines() if re.search(r"Fatal error|Segmentation|internal_error|status=500", line)]
        check(not fatal, f"no fatal error or 500 in the server log: {fatal[:3]}")
        storage_lines = [line for line in server.text().splitlines() if "storage_unavailable" in line]
        named = [line for line in storage_lines if re.search(r"SQLITE_FULL|disk is full|\bfull\b", line, re.IGNORECASE)]
        note(f"log lines for storage_unavailable: {len(storage_lines)}, of which naming a full disk: {len(named)}; "
             f"e.g. {storage_lines[0][:200] if storage_lines else None}")
        start = time.monotonic()
        code = server.stop()
        check(code == 0, f"the server stops cleanly with space available ({code}, {time.monotonic() - start:.1f} s)")

        phase_shutdown_full(fixture, site_key, options)

        print("== at the end", flush=True)
        result = fixture.run("audit", "verify", "--database", fixture.database, "--keys", fixture.keys)
        check(result.returncode == 0, f"idca audit verify passes: {result.stdout.strip()} {result.stderr.strip()}")
        note(result.stdout.strip())
        integrity = fixture.query("PRAGMA integrity_check")
        check(integrity == [("ok",)], f"integrity_check is ok ({integrity[:3]})")
    except Exception as error:  # a crash of the test itself is a failure, and cleanup still runs
        check(False, f"the test stopped on {type(error).__name__}: {error}")
    finally:
        for server in servers:
            server.kill()
        if mounted:
            for attempt in range(10):
                if subprocess.run(["umount", mount], capture_output=True, timeout=30).returncode == 0:
                    break
                time.sleep(0.5)
            else:
                subprocess.run(["umount", "-l", mount], capture_output=True, timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    print(f"disk full: {tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
