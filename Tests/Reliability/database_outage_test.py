"""When PostgreSQL goes away under load, idca answers 503 at once, loses nothing it acknowledged, and
recovers by itself when the database comes back.

usage: Tests/Postgres/with_cluster.sh python3 Tests/Reliability/database_outage_test.py --idca PATH_TO_IDCA

Reads IDCA_TEST_POSTGRES_URL, IDCA_TEST_POSTGRES_BIN and IDCA_TEST_POSTGRES_DATA, as with_cluster.sh
sets them. Creates a database with a demo registry, starts `idca serve` on it, and drives
applications from several threads. Then, twice, PostgreSQL is stopped the hard way (`pg_ctl stop -m
immediate`: no checkpoint, every backend killed, as in a crash of the database server) for a few
seconds and started again, while idca keeps running. Checked:

- while the database is down: every answer to an application is `503 storage_unavailable` with a
  message, never a 500, and none takes 35 s (each database call, and each write batch, gives up
  after 10 s; a write can wait for the batch before its own);
  `/healthz` answers 503; the process stays up.
- after the database is back: within 30 s applications are approved again, without restarting idca;
  `/healthz` is 200.
- every approval acknowledged before, during or after the outages can be looked up and its token
  verifies exactly once; `idca audit verify` passes; the statistics count at least every acknowledged
  decision and at most those plus the 503s (a commit whose connection broke may have committed).

Ends with `database outage: N passed, M failed`; exits 0 only when nothing failed.
"""
import argparse, csv, json, os, random, shutil, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from serving import Tally  # noqa: E402
from live_server import Server, Unreachable, audit_verify, idca_command, postgres_database, statistics  # noqa: E402

tally = Tally()
check = tally.check
started = time.time()


def log(message):
    print(f"[{time.time() - started:6.1f}s] {message}", flush=True)


def pg_ctl(*arguments):
    """pg_ctl on the test cluster, as the account that owns it (PostgreSQL refuses to run as root)."""
    command = [os.path.join(os.environ["IDCA_TEST_POSTGRES_BIN"], "pg_ctl"), "-D", os.environ["IDCA_TEST_POSTGRES_DATA"],
               *arguments]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


class Load:
    """Threads applying for random active residents without a phone; every answer is recorded."""

    def __init__(self, server, people, threads=4):
        self.server, self.people = server, people
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.approved = []          # (application id, token), acknowledged
        self.unavailable = []       # (time, seconds the answer took, body)
        self.other = []             # anything else: (time, status, body)
        self.lost = 0               # no answer at all
        self.slowest = 0.0
        self.threads = [threading.Thread(target=self.work, args=(seed,)) for seed in range(threads)]

    def work(self, seed):
        rng = random.Random(seed)
        while not self.stop.is_set():
            person = rng.choice(self.people)
            body = {"subject_type": "individual", "name": person["name"], "resident_id": person["resident_id"]}
            begun = time.time()
            try:
                status, answer = self.server.call("POST", "/v1/applications", body, timeout=60)
            except Unreachable:
                with self.lock:
                    self.lost += 1
                continue
            took = time.time() - begun
            with self.lock:
                self.slowest = max(self.slowest, took)
                if status == 201 and isinstance(answer, dict) and answer.get("status") == "approved":
                    self.approved.append((answer["application_id"], answer["token"]))
                elif status == 503:
                    self.unavailable.append((begun, took, answer))
                else:
                    self.other.append((begun, status, answer))
            if status == 503:
                time.sleep(0.05)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(90)

    def snapshot(self):
        with self.lock:
            return len(self.approved), len(self.unavailable), len(self.other)


def outage(server, load, number, seconds=5):
    before = load.snapshot()
    stopped = pg_ctl("-m", "immediate", "-w", "stop")
    if not check(stopped.returncode == 0, f"outage {number}: pg_ctl stop: {stopped.stderr}"):
        return
    down_at = time.time()
    log(f"outage {number}: PostgreSQL stopped (immediate)")
    time.sleep(1)
    try:
        status, body = server.call("GET", "/healthz", timeout=20)
        check(status == 503, f"outage {number}: /healthz answers 503 while the database is down, not {status} {body}")
    except Unreachable as error:
        check(False, f"outage {number}: /healthz unanswered while the database is down: {error}")
    time.sleep(max(0, seconds - (time.time() - down_at)))
    during = load.snapshot()
    check(during[1] > before[1], f"outage {number}: applications during the outage were answered 503 "
                                 f"({during[1] - before[1]} of them)")
    started_again = pg_ctl("-l", os.path.join(os.environ["IDCA_TEST_POSTGRES_DATA"], "..", f"restart-{number}.log"),
                           "-w", "-t", "60", "start")
    if not check(started_again.returncode == 0, f"outage {number}: pg_ctl start: {started_again.stderr}"):
        return
    up_at = time.time()
    log(f"outage {number}: PostgreSQL started again after {up_at - down_at:.1f} s")
    recovered = None
    while time.time() < up_at + 30:
        if load.snapshot()[0] > during[0]:
            recovered = time.time() - up_at
            break
        time.sleep(0.1)
    check(recovered is not None, f"outage {number}: approvals resume within 30 s of the database's return, without a restart")
    if recovered is not None:
        log(f"outage {number}: approvals resumed {recovered:.1f} s after the database came back")
    check(server.alive(), f"outage {number}: the idca process stayed up")
    check(server.wait_healthy(30), f"outage {number}: /healthz is 200 again")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idca", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the working directory (server logs)")
    arguments = parser.parse_args()
    for name in ("IDCA_TEST_POSTGRES_URL", "IDCA_TEST_POSTGRES_BIN", "IDCA_TEST_POSTGRES_DATA"):
        if not os.environ.get(name):
            sys.exit(f"{name} is not set: run this under Tests/Postgres/with_cluster.sh")
    idca = os.path.abspath(arguments.idca)
    directory = tempfile.mkdtemp(prefix="idca-outage-")
    server = None
    try:
        with postgres_database(os.environ["IDCA_TEST_POSTGRES_URL"], "idca_outage", check) as database:
            if database is None:
                return
            for command in (("keys", "generate"), ("demo", "seed", "--residents", "2000", "--organizations", "10", "--traffic", "0")):
                done = idca_command(idca, directory, database, *command)
                if not check(done.returncode == 0, f"idca {' '.join(command)}: {done.stderr[-1000:]}"):
                    return
            site_key = json.load(open(os.path.join(directory, "var", "demo", "site.json")))["api_key"]
            added = idca_command(idca, directory, database, "auditors", "add", "--name", "outage test", "--json")
            auditor_key = json.loads(added.stdout)["api_key"]
            with open(os.path.join(directory, "var", "demo", "residents.csv"), encoding="utf-8", newline="") as file:
                people = [r for r in csv.DictReader(file) if r["status"] == "active" and not r["phone"].strip()]
            server = Server("outage", idca, directory, database, environment={
                "IDCA_ADDRESS_BURST": "100000", "IDCA_ADDRESS_PER_MINUTE": "100000", "IDCA_ISSUER": "https://idca.test"})
            server.start()
            with Load(server, people) as load:
                time.sleep(3)
                check(load.snapshot()[0] > 0, "applications are approved before the outage")
                for number in (1, 2):
                    outage(server, load, number)
                time.sleep(2)
            approved, unavailable, other = load.snapshot()
            log(f"answers: {approved} approved, {unavailable} unavailable (503), {len(load.other)} other, "
                f"{load.lost} unanswered; slowest answer {load.slowest:.1f} s")
            check(not load.other, f"no answer other than 201 approved or 503: {load.other[:3]}")
            check(load.lost == 0, f"every call was answered ({load.lost} were not)")
            check(load.slowest < 35, f"no answer took 35 s or more: a write waits at most for the batch before it and its own, 10 s each (slowest {load.slowest:.1f} s)")
            shapes = [body for _, _, body in load.unavailable
                      if not (isinstance(body, dict) and body.get("error") == "storage_unavailable" and body.get("message"))]
            check(not shapes, f"every 503 is storage_unavailable with a message: {shapes[:3]}")
            check(not any(s for (_, _, _, s, _, _) in server.server_errors if s != 503),
                  f"no 5xx other than 503: {[e for e in server.server_errors if e[3] != 503][:3]}")

            # Nothing acknowledged is lost.
            missing, wrong = 0, 0
            for application_id, token in load.approved:
                status, body = server.call("GET", f"/v1/applications/{application_id}")
                missing += not (status == 200 and isinstance(body, dict) and body.get("status") == "approved")
            check(missing == 0, f"every acknowledged approval can be looked up ({missing} of {len(load.approved)} cannot)")
            for _, token in load.approved[:: max(1, len(load.approved) // 200)]:
                first = server.call("POST", "/v1/tokens/verify", {"token": token}, api_key=site_key)
                again = server.call("POST", "/v1/tokens/verify", {"token": token}, api_key=site_key)
                wrong += not (first[1].get("active") is True and again[1].get("reason") == "token_already_used")
            check(wrong == 0, f"sampled acknowledged tokens verify exactly once ({wrong} did not)")
            # A 503 from a commit whose connection broke may still have committed: those answers bound the count above.
            totals = statistics(server, auditor_key, check)
            decided = totals.get("applications", -1)
            check(len(load.approved) <= decided <= len(load.approved) + len(load.unavailable) + load.lost,
                  f"the statistics count every acknowledged decision: {decided} decided, {len(load.approved)} acknowledged, "
                  f"{len(load.unavailable)} answered 503")
            server.close()
            audit_verify(idca, directory, database, "after the outages", check)
            print(f"database outage: acknowledged {len(load.approved)} approvals, checked {len(load.approved)}, "
                  f"lost {missing}; 503 answers {len(load.unavailable)}")
    finally:
        if server:
            server.close()
            if tally.failed:
                server.print_notable_log_lines()
        if not arguments.keep:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"database outage: {tally.passed} passed, {tally.failed} failed")
    sys.exit(0 if tally.failed == 0 else 1)


if __name__ == "__main__":
    main()
