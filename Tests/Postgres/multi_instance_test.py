"""Several `idca serve` processes on one PostgreSQL database behave as one certification authority.

usage: python3 Tests/Postgres/multi_instance_test.py --idca PATH_TO_IDCA [--keep]

Reads the server URL (a superuser URL to a maintenance database) from IDCA_TEST_POSTGRES_URL, as
Tests/Postgres/with_cluster.sh sets it. Creates a fresh database and a temporary working directory,
seeds a demo registry there, and starts two servers (A and B) on it with the same keys. Then:

1. 500 applications split across A and B; every token verified 16 times at once, 8 calls on each
   instance: exactly one call answers `active: true`, every other `token_already_used`.
2. `idca audit verify` passes (one linear chain written by both), the auditor statistics count the
   applications made, and both instances publish the same JWKS.
3. Crash test: under load on A, A is killed with SIGKILL at a random moment, several times, and
   restarted. Every acknowledged approval can still be looked up, every acknowledged redemption is
   still redeemed, no token is ever active twice, and the audit chain still verifies.

No answer anywhere may be a 5xx. Everything is removed afterwards (the database too), also on
failure; `--keep` keeps the working directory (server logs) for a post-mortem. Ends with
`multi-instance: N passed, M failed`; exits 0 only when nothing failed.
"""
import argparse, collections, concurrent.futures, json, os, random, shutil, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from serving import Tally  # noqa: E402
import live_server  # noqa: E402
from live_server import Server, Unreachable, database_url, idca_command, psql  # noqa: E402

tally = Tally()
check = tally.check
lock = threading.Lock()
server_errors = []          # every 5xx answer seen, as (instance, method, path, status, body, time)
activations = collections.Counter()   # token -> number of `active: true` answers, over the whole run
started = time.time()


def log(message):
    print(f"[{time.time() - started:6.1f}s] {message}", flush=True)


def audit_verify(idca, directory, database, when):
    return live_server.audit_verify(idca, directory, database, when, check)


def audit_entries(server, auditor_key):
    return live_server.audit_entries(server, auditor_key, check)


def check_log_chain(entries, when):
    live_server.check_log_chain(entries, when, check)


def statistics(server, auditor_key):
    return live_server.statistics(server, auditor_key, check)


def jwks(server):
    return live_server.jwks(server, check)


def record_activation(token, answer):
    if isinstance(answer, dict) and answer.get("active") is True:
        with lock:
            activations[token] += 1


# --- 3. Concurrent redemption across the two instances -----------------------------------------------------------


def multi_instance(servers, people, site_key, applications=500, racers_per_instance=8, budget=300):
    log(f"applying {applications} times, alternating A and B")
    tokens = []

    def apply(index):
        person = people[index]
        server = servers[index % 2]
        status, body = server.call("POST", "/v1/applications",
                                   {"subject_type": "individual", "name": person[1], "resident_id": person[0]})
        return server.name, status, body

    refused = []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for name, status, body in pool.map(apply, range(applications)):
            if status == 201 and isinstance(body, dict) and body.get("status") == "approved" and body.get("token"):
                tokens.append(body["token"])
            else:
                refused.append((name, status, str(body)[:300]))
    check(not refused, f"all {applications} applications approved (201): {len(refused)} not, e.g. {refused[:3]}")
    log(f"{len(tokens)} tokens; verifying each {2 * racers_per_instance} times at once ({racers_per_instance} on A, "
        f"{racers_per_instance} on B)")

    outcomes = collections.Counter()
    per_token = {token: [] for token in tokens}
    deadline = time.time() + budget
    racers = 2 * racers_per_instance
    barriers = {token: threading.Barrier(racers, timeout=30) for token in tokens}

    def verify(token, server):
        if time.time() > deadline:
            return "skipped", None
        try:
            barriers[token].wait()
        except threading.BrokenBarrierError:
            pass
        try:
            status, body = server.call("POST", "/v1/tokens/verify", {"token": token}, api_key=site_key)
        except Unreachable as error:
            return "unreachable", str(error)
        record_activation(token, body)
        return status, body

    with concurrent.futures.ThreadPoolExecutor(2 * racers) as pool:
        futures = [(token, pool.submit(verify, token, servers[call % 2])) for token in tokens for call in range(racers)]
        for token, future in futures:
            per_token[token].append(future.result())
    timed_out = time.time() > deadline

    bad = []
    for token, answers in per_token.items():
        active = sum(1 for status, body in answers if status == 200 and isinstance(body, dict) and body.get("active") is True)
        used = sum(1 for status, body in answers if status == 200 and body == {"active": False, "reason": "token_already_used"})
        for status, body in answers:
            if status == 200 and isinstance(body, dict):
                outcomes["active" if body.get("active") else body.get("reason")] += 1
            else:
                outcomes[f"status {status}"] += 1
        if active != 1 or used != racers - 1:
            bad.append((active, used, [a for a in answers if not (a[0] == 200 and isinstance(a[1], dict) and
                                                                  (a[1].get("active") or a[1].get("reason") == "token_already_used"))][:3]))
    check(not timed_out, f"the verify phase finished within {budget} s")
    check(not bad, f"every token active exactly once and token_already_used {racers - 1} times; {len(bad)} tokens not: {bad[:5]}")
    log(f"verify answers: {dict(outcomes)}")
    check(outcomes["active"] == len(tokens), f"{len(tokens)} redemptions, got {outcomes['active']}")
    return tokens


# --- 4. One linear chain, statistics that count what was done, one key set ---------------------------------------


def after_load(idca, directory, database, servers, auditor_key, applications_made, approved_made):
    a, b = servers
    report = audit_verify(idca, directory, database, "after the two-instance load")
    log(f"audit verify: {report}")
    entries = audit_entries(b, auditor_key)
    check_log_chain(entries, "after the two-instance load")
    decided = [e for e in entries if e["type"] == "application.decided"]
    check(len(decided) == applications_made, f"the log holds {applications_made} decisions, got {len(decided)}")
    for server in servers:
        totals = statistics(server, auditor_key)
        check(totals.get("applications") == applications_made and totals.get("approved") == approved_made,
              f"statistics on {server.name} count {applications_made} applications, {approved_made} approved: {totals}")
    first, second = jwks(a), jwks(b)
    check(first == second, f"A and B publish the same JWKS: {first} vs {second}")
    return first


# --- 5. Crash test -----------------------------------------------------------------------------------------------


class CrashLoad:
    """Applications and verifications against A (and some racing verifies on B) from several threads."""

    def __init__(self, servers, people, site_key, threads=6):
        self.a, self.b = servers
        self.people, self.site_key, self.threads = people, site_key, threads
        self.approved = {}            # application_id -> token: every acknowledged approval
        self.redeemed = set()         # tokens acknowledged `active: true`
        self.attempted_applications = 0
        self.refused = []             # applications answered but not approved (none expected)
        self.unreachable = collections.Counter()   # unanswered calls: refused (A is down) or cut off by the kill
        self.answers = collections.Counter()
        self.stop_flag = threading.Event()

    def unanswered(self, error):
        kind = "refused" if error.refused else "cut off"
        with lock:
            self.unreachable[kind] += 1

    def worker(self, seed):
        rng = random.Random(seed)
        while not self.stop_flag.is_set():
            person = rng.choice(self.people)
            with lock:
                self.attempted_applications += 1
            try:
                status, body = self.a.call("POST", "/v1/applications",
                                           {"subject_type": "individual", "name": person[1], "resident_id": person[0]}, timeout=15)
            except Unreachable as error:
                self.unanswered(error)
                time.sleep(0.05)
                continue
            if not (status == 201 and isinstance(body, dict) and body.get("status") == "approved"):
                with lock:
                    self.refused.append((status, str(body)[:300]))
                continue
            token = body["token"]
            with lock:
                self.approved[body["application_id"]] = token
            # Mostly verify on A; now and then race a verify on B against it.
            targets = [self.a] if rng.random() < 0.7 else [self.a, self.b]
            results = []

            def one(server):
                try:
                    results.append((server.name, *server.call("POST", "/v1/tokens/verify", {"token": token}, api_key=self.site_key,
                                                             timeout=15)))
                except Unreachable as error:
                    self.unanswered(error)
            helpers = [threading.Thread(target=one, args=(server,)) for server in targets[1:]]
            for helper in helpers:
                helper.start()
            one(targets[0])
            for helper in helpers:
                helper.join()
            for name, status, answer in results:
                record_activation(token, answer)
                with lock:
                    self.answers[f"{name}:" + (("active" if answer.get("active") else answer.get("reason"))
                                               if status == 200 and isinstance(answer, dict) else f"status {status}")] += 1
                if status == 200 and isinstance(answer, dict) and answer.get("active") is True:
                    with lock:
                        self.redeemed.add(token)

    def round(self, kill_after):
        self.stop_flag.clear()
        workers = [threading.Thread(target=self.worker, args=(random.random(),)) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        time.sleep(kill_after)
        self.a.kill()                 # SIGKILL at a random moment of the load
        killed_at = time.time()
        time.sleep(0.3)               # let the workers see the dead server
        self.stop_flag.set()
        for worker in workers:
            worker.join(timeout=60)
        check(not any(worker.is_alive() for worker in workers), "the crash-phase workers stopped")
        return killed_at


def crash_test(idca, directory, database, servers, people, site_key, auditor_key, reference_jwks, phase3_tokens, kills=3):
    a, b = servers
    load = CrashLoad(servers, people, site_key)
    for round_number in range(kills):
        kill_after = random.uniform(1.5, 4.0)
        before = (len(load.approved), len(load.redeemed))
        load.round(kill_after)
        log(f"kill {round_number + 1}: SIGKILLed A after {kill_after:.2f} s of load "
            f"(+{len(load.approved) - before[0]} approvals, +{len(load.redeemed) - before[1]} redemptions acknowledged)")
        # Restart A: on the same port on odd rounds, on a fresh port otherwise.
        same_port = round_number % 2 == 0
        old_port = a.port
        try:
            a.start(port=old_port if same_port else 0)
        except RuntimeError as error:
            if not same_port:
                raise
            log(f"the old port is not free yet ({error!s:.100}); restarting A on a new port")
            a.start(port=0)
        check(a.wait_healthy(), f"A healthy after restart {round_number + 1}")
        check(b.wait_healthy(5), f"B still healthy after kill {round_number + 1}")
        log(f"A restarted on port {a.port} ({'same' if a.port == old_port else 'new'} port)")
        check(jwks(a) == reference_jwks, f"restarted A publishes the same JWKS (round {round_number + 1})")

    log(f"crash load: {load.attempted_applications} applications attempted, {len(load.approved)} approvals and "
        f"{len(load.redeemed)} redemptions acknowledged; unanswered calls {dict(load.unreachable)}; answers {dict(load.answers)}")
    check(len(load.redeemed) > 0 and len(load.approved) > 0, "the crash load got acknowledgements before the kills")
    check(not load.refused, f"every answered crash-phase application was approved: {len(load.refused)} not, e.g. {load.refused[:3]}")

    # Every acknowledged redemption is still redeemed, on either instance.
    def reverify(args):
        index, token = args
        server = servers[index % 2]
        status, body = server.call("POST", "/v1/tokens/verify", {"token": token}, api_key=site_key)
        record_activation(token, body)
        return server.name, status, body

    redeemed = sorted(load.redeemed)
    lost = []
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for token, (name, status, body) in zip(redeemed, pool.map(reverify, enumerate(redeemed))):
            if not (status == 200 and body == {"active": False, "reason": "token_already_used"}):
                lost.append((name, status, body))
    check(not lost, f"every acknowledged redemption is still redeemed: {len(lost)} lost, e.g. {lost[:3]}")

    # Tokens approved but never acknowledged as redeemed (the verify was cut off, or never sent):
    # one more verify is either the first `active` or `token_already_used` (the commit made it, the
    # answer did not): the activations counter catches a second `active`.
    pending = sorted(set(load.approved.values()) - load.redeemed)
    unexpected = []
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for name, status, body in pool.map(reverify, enumerate(pending)):
            if not (status == 200 and isinstance(body, dict) and
                    (body.get("active") is True or body.get("reason") == "token_already_used")):
                unexpected.append((name, status, body))
    check(not unexpected, f"unacknowledged tokens verify as active or token_already_used: {unexpected[:3]}")

    # The tokens of the two-instance phase survived the crashes too.
    def old(args):
        index, token = args
        status, body = servers[index % 2].call("POST", "/v1/tokens/verify", {"token": token}, api_key=site_key)
        record_activation(token, body)
        return status, body
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        still = [answer for answer in pool.map(old, enumerate(phase3_tokens))]
    check(all(answer == (200, {"active": False, "reason": "token_already_used"}) for answer in still),
          f"the {len(phase3_tokens)} tokens redeemed before the crashes stay redeemed")

    # Every acknowledged approval can be looked up.
    def lookup(args):
        index, application_id = args
        return application_id, *servers[index % 2].call("GET", f"/v1/applications/{application_id}")
    missing = []
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for application_id, status, body in pool.map(lookup, enumerate(sorted(load.approved))):
            if not (status == 200 and isinstance(body, dict) and body.get("status") == "approved"
                    and body.get("application_id") == application_id):
                missing.append((application_id, status, body))
    check(not missing, f"every acknowledged approval can be looked up: {len(missing)} missing, e.g. {missing[:3]}")

    twice = {token: count for token, count in activations.items() if count > 1}
    check(not twice, f"no token was ever active twice over the whole run: {len(twice)} were")

    audit_verify(idca, directory, database, "after the crashes")
    entries = audit_entries(b, auditor_key)
    check_log_chain(entries, "after the crashes")
    decided = [e for e in entries if e["type"] == "application.decided"]
    totals = statistics(b, auditor_key)
    check(totals.get("applications") == len(decided) and
          totals.get("approved") == sum(1 for e in decided if e["outcome"] == "approved"),
          f"after the crashes the statistics equal the decisions in the log: {totals} vs {len(decided)} decisions")
    check(len(decided) >= 500 + len(load.approved), f"the log holds every acknowledged decision: {len(decided)} "
                                                    f"< {500 + len(load.approved)}")
    checked = len(redeemed) + len(load.approved)
    print(f"crash test: acknowledged {len(load.redeemed)} redemptions and {len(load.approved)} approvals, "
          f"checked {checked}, lost {len(lost) + len(missing)}", flush=True)


# --- main --------------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idca", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the working directory (server logs)")
    parser.add_argument("--kills", type=int, default=3)
    arguments = parser.parse_args()
    idca = os.path.abspath(arguments.idca)
    server_url = os.environ.get("IDCA_TEST_POSTGRES_URL")
    if not server_url:
        print("multi-instance: IDCA_TEST_POSTGRES_URL is not set (run under Tests/Postgres/with_cluster.sh)", file=sys.stderr)
        return 1
    if not os.access(idca, os.X_OK):
        print(f"multi-instance: {idca} is not an executable", file=sys.stderr)
        return 1

    name = f"mi_{os.getpid()}_{random.randrange(16 ** 6):06x}"
    directory = tempfile.mkdtemp(prefix="idca-multi-")
    database = database_url(server_url, name)
    servers = []
    created = False
    try:
        made = psql(server_url, f'CREATE DATABASE "{name}"')
        if not check(made.returncode == 0, f"CREATE DATABASE {name}: {made.stderr}"):
            return 1
        created = True
        log(f"database {name}, working directory {directory}")
        generated = idca_command(idca, directory, database, "keys", "generate")
        check(generated.returncode == 0, f"keys generate: {generated.stderr[-1000:]}")
        seeded = idca_command(idca, directory, database, "demo", "seed", "--residents", "2000", "--organizations", "200",
                              "--traffic", "0", "--json")
        if not check(seeded.returncode == 0, f"demo seed: {seeded.stderr[-1000:]}"):
            return 1
        site = json.load(open(os.path.join(directory, "var", "demo", "site.json")))
        added = idca_command(idca, directory, database, "auditors", "add", "--name", "multi-instance test", "--json")
        if not check(added.returncode == 0, f"auditors add: {added.stderr[-1000:]}"):
            return 1
        auditor_key = json.loads(added.stdout)["api_key"]
        listed = idca_command(idca, directory, database, "sites", "list", "--json")
        sites = {s["site_id"]: s for s in json.loads(listed.stdout)["sites"]}
        max_accounts = sites[site["site_id"]]["max_accounts"]
        with open(os.path.join(directory, "var", "demo", "residents.csv"), encoding="utf-8") as extract:
            rows = [line.rstrip("\n").split(",") for line in extract][1:]
        # Residents with a phone on file would wait for a code: this test wants immediate approvals.
        people = [(row[0], row[1]) for row in rows if len(row) >= 3 and row[2] == "active" and (len(row) < 4 or not row[3].strip())]
        random.shuffle(people)
        check(len(people) >= 1000, f"the demo registry has enough active residents: {len(people)}")
        # 500 distinct residents for the race, so only token_already_used is legitimate there; the
        # crash load draws from the rest, each resident a few times at most (far below the limit).
        race_people, crash_people = people[:500], people[500:]
        check(max_accounts >= 10, f"the demo site allows several accounts per person: {max_accounts}")

        # One issuer for every instance, as behind a load balancer (the default depends on the port).
        # Every request comes from 127.0.0.1: lift the per-address budget, which would throttle the load.
        serve_arguments = ["--issuer", "http://127.0.0.1", "--address-burst", "100000", "--address-per-minute", "100000"]
        servers = [Server(name, idca, directory, database, arguments=serve_arguments, server_errors=server_errors)
                   for name in ("A", "B")]
        for server in servers:
            server.start()
        for server in servers:
            check(server.wait_healthy(), f"{server.name} healthy on port {server.port}")
        log(f"A on port {servers[0].port}, B on port {servers[1].port}")

        tokens = multi_instance(servers, race_people, site["api_key"])
        reference_jwks = after_load(idca, directory, database, servers, auditor_key, 500, len(tokens))
        crash_test(idca, directory, database, servers, crash_people, site["api_key"], auditor_key, reference_jwks, tokens,
                   kills=arguments.kills)

        for server in servers:
            code = server.stop()
            check(code == 0, f"{server.name} stops on SIGTERM with status 0 (got {code})")
        audit_verify(idca, directory, database, "after both servers stopped")
    except Exception as error:
        check(False, f"the test itself broke: {error!r}")
        import traceback
        traceback.print_exc()
    finally:
        for server in servers:
            server.close()
        check(not server_errors, f"no 5xx answer anywhere: {len(server_errors)}, e.g. {server_errors[:5]}")
        if tally.failed:
            for server in servers:
                server.print_notable_log_lines()
        if created:
            dropped = psql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if dropped.returncode != 0:
                print(f"multi-instance: could not drop database {name}: {dropped.stderr}", file=sys.stderr)
        if arguments.keep:
            print(f"multi-instance: kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    log("done")
    print(f"multi-instance: {tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
