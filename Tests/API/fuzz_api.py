"""API fuzzing: schemathesis against Docs/API.openapi.yaml and a live `idca serve`.

usage: python3 Tests/API/fuzz_api.py --idca PATH_TO_IDCA [--cases N] [--seed S] [--workers W] [--checks LIST] [--keep]

Starts its own server in a fresh temporary directory on 127.0.0.1 (a free port), with a demo
registry, a site, two auditors, address budgets and failure limits raised so that rate limiting
does not starve coverage. Before fuzzing it makes real resources over the API (approved, rejected
and pending applications, redeemed and unredeemed tokens, the site's pseudonyms, disclosure
requests, two dashboard sessions), so that generated requests reach the endpoints' real answers
and not only their 404s. Then it runs the schemathesis CLI (every phase: the document's examples,
the coverage phase's boundary and negative cases, property-based fuzzing, stateful sequences over
the links it infers from `Location` headers) over every operation of the document, with:

- credentials: the site key for `siteAPIKey`, auditor A's key for `auditorAPIKey` (auditor B's for
  approving, since A requested the disclosures), a dashboard session for `auditorSession` (and a
  session of its own for signing out);
- the fixture's ids, tokens, pseudonyms and CSRF tokens put into the matching parameters and body
  members with a probability, and hostile strings (NASTY_STRINGS) into any string now and then;
- the checks not_a_server_error, status_code_conformance, content_type_conformance,
  response_headers_conformance and response_schema_conformance (`--checks` for others);
- a fixed seed, one worker, no example database, so that a run repeats case for case.

`--cases` is the least number of generated cases required (default 5,000, as `make test` runs it;
`make fuzz` asks for more). The fuzzing budget per operation is derived from it; if operations with
small input spaces leave the total short, further fuzzing passes with the next seeds make up the
difference. After the run the server must still answer /healthz, must have logged no 5xx or
unexpected failure, and must stop cleanly on SIGTERM. Ends with
`api fuzz: N cases, M operations, K failures`; exits 0 only when K is 0, every operation of the
document was tested, and N reached `--cases`.

Needs `schemathesis` (pinned by `make deps`). About 2-3 minutes for 5,000 cases with a debug build
on 2 busy cores; `--workers 2` roughly halves that, at the price of a case order (and so a count)
that may differ slightly between runs.
"""
import argparse, http.client, json, math, os, re, shutil, signal, subprocess, sys, tempfile, threading, time, traceback, urllib.parse

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from serving import announced_port, terminate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENT = os.path.join(ROOT, "Docs", "API.openapi.yaml")
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance"]
METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
# The server's budgets, raised so that one address can send thousands of requests. The address
# bucket is the brief's environment; the failure limits are the highest the server accepts, and the
# window the shortest, so that a resident ID the fuzzer repeats is rarely locked (a lock is a
# documented 429 anyway).
SERVER_ENVIRONMENT = {"IDCA_ADDRESS_BURST": "100000", "IDCA_ADDRESS_PER_MINUTE": "100000"}
SERVER_OPTIONS = ["--codes-per-hour", "100", "--resident-failure-limit", "100", "--organization-failure-limit", "100",
                  "--failure-window", "60", "--lock-duration", "60"]


# Strings a generator seldom builds by chance: characters that are one "character" to Swift but many
# code points to JSON Schema, invisible and direction-changing ones, a NUL, numbers where text goes,
# look-alike digits, markup and injection classics, and lengths at and past the usual limits.
# schemathesis puts them into query, path and cookie strings with NASTY_PROBABILITY, and into the
# body members named in write_config with NASTY_BODY_PROBABILITY; it uses only those a case's
# mode allows (in positive cases, the ones the member's schema accepts).
NASTY_STRINGS = [
    "a" + "\u0301" * 300, "e\u0301" * 64, "e\u0301" * 65, "\U0001F468\u200D\U0001F469\u200D\U0001F467" * 30,
    "CASE\u202E1-FDP", "A\u200BB", "\uFEFFx", "x\u2028y", "a\u0000b", "\u0085", "\u00A0",
    "\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16", "11010519491231002x", "91350100m000100y43", " 11010519491231002X ",
    "9" * 25, "-1", "0", "1e400", "NaN", "null", "true", "[]", "{}", "", " ", "x" * 65, "x" * 4000,
    "<script>alert(1)</script>", "' OR '1'='1", "../../../../etc/passwd", "%00", "%2e%2e%2f", "${jndi:ldap://127.0.0.1/a}",
    "{{7*7}}", "\\", "\"", "張三\u00B7李", "艾力\u2022买买提",
]
NASTY_PROBABILITY = 0.05
NASTY_BODY_PROBABILITY = 0.1


def log(message):
    print(message, flush=True)


class LiveCA:
    """A throwaway CA in `directory`: the `idca` commands, one `idca serve`, and raw HTTP to it."""

    def __init__(self, idca, directory):
        self.idca, self.directory = idca, directory
        self.process, self.port, self.log = None, None, None

    def command(self, *arguments, check=True):
        result = subprocess.run([self.idca, *arguments], cwd=self.directory, capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            raise RuntimeError(f"idca {' '.join(arguments)} failed ({result.returncode}): {result.stderr}")
        return result

    def json_command(self, *arguments):
        return json.loads(self.command(*arguments, "--json").stdout)

    def seed(self, residents=300, organizations=50, traffic=200):
        """Keys, a demo registry with some decided traffic, one site and two auditors."""
        self.command("keys", "generate")
        self.demo = self.json_command("demo", "seed", "--residents", str(residents), "--organizations", str(organizations),
                                      "--traffic", str(traffic))
        self.site = self.json_command("sites", "add", "--name", "Fuzz", "--license", "京ICP备12345678号")
        self.auditor = self.json_command("auditors", "add", "--name", "审计员 A")
        self.second_auditor = self.json_command("auditors", "add", "--name", "审计员 B")
        self.command("audit", "checkpoint")  # so that the latest checkpoint is there from the start
        self.samples = os.path.join(self.directory, "var", "demo", "applications")
        self.outbox = os.path.join(self.directory, "outbox", "sms.log")

    def start(self, *options, name="serve.log"):
        self.log = open(os.path.join(self.directory, name), "w+")
        environment = {**os.environ, **SERVER_ENVIRONMENT}
        self.process = subprocess.Popen([self.idca, "serve", "--port", "0", "--sms-outbox", self.outbox, *SERVER_OPTIONS, *options],
                                        cwd=self.directory, stdout=self.log, stderr=self.log, env=environment)
        self.port = announced_port(self.log, self.process, 60)
        if self.port is None:
            self.process.kill()
            self.process.wait()
            raise RuntimeError("the server did not start:\n" + open(self.log.name).read())
        return self.port

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, headers=None, timeout=15):
        """One request on its own connection: (status, headers with lower-case names, body bytes).
        `body` is bytes, or any other value to send as JSON. Raises on no answer within `timeout`."""
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body, ensure_ascii=False).encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            headers = {}
            for name, value in response.getheaders():  # repeated fields (Set-Cookie) one per line
                headers[name.lower()] = headers[name.lower()] + "\n" + value if name.lower() in headers else value
            return response.status, headers, data
        finally:
            connection.close()

    def call(self, method, path, body=None, key=None, headers=None, expect=None):
        """A JSON request; the decoded answer. `expect`: the status required, or a RuntimeError."""
        headers = dict(headers or {})
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        status, response_headers, data = self.request(method, path, body, headers)
        if expect is not None and status != expect:
            raise RuntimeError(f"{method} {path}: expected {expect}, got {status}: {data[:300]!r}")
        try:
            return status, response_headers, json.loads(data) if data else None
        except ValueError:
            return status, response_headers, data.decode(errors="replace")

    def healthy(self):
        try:
            return self.request("GET", "/healthz", timeout=10)[0] == 200
        except OSError:
            return False

    def stop(self, timeout=60):
        """SIGTERM, then SIGKILL after `timeout`; the exit status (None if it had to be killed)."""
        return terminate(self.process, timeout)

    def sample(self, name):
        return json.load(open(os.path.join(self.samples, name), encoding="utf-8"))

    def outbox_code(self, application_id, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(self.outbox):
                for line in open(self.outbox, encoding="utf-8").read().splitlines():
                    found = re.search(r"application=(\S+) to=(\S+) code=(\S+) ", line)
                    if found and found.group(1) == application_id:
                        return found.group(3)
            time.sleep(0.05)
        return None

    def unexpected_failures(self):
        """The server log's lines about 5xx answers and unexpected failures."""
        text = open(self.log.name, encoding="utf-8", errors="replace").read()
        return [line for line in text.splitlines() if re.search(r"\bstatus=5\d\d\b|unexpected failure|Fatal error", line)]


def sign_in(ca, key):
    """A dashboard session for `key` over the sign-in form: (session cookie value, its CSRF token)."""
    status, headers, page = ca.request("GET", "/auditor")
    token = re.search(r"idca_signin=([^;]+)", headers.get("set-cookie", ""))
    if status != 200 or not token:
        raise RuntimeError(f"GET /auditor gave no sign-in cookie: {status} {headers}")
    form = urllib.parse.urlencode({"api_key": key, "signin_csrf": token.group(1)}).encode()
    status, headers, _ = ca.request("POST", "/auditor/sign-in", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"idca_signin={token.group(1)}"})
    session = re.search(r"idca_auditor=([^;]+)", headers.get("set-cookie", ""))
    if status != 303 or not session:
        raise RuntimeError(f"sign-in failed: {status} {headers}")
    status, _, page = ca.request("GET", "/auditor", headers={"Cookie": f"idca_auditor={session.group(1)}"})
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page)
    if status != 200 or not csrf:
        raise RuntimeError(f"the dashboard shows no CSRF token: {status}")
    return session.group(1), csrf.group(1).decode()


def make_resources(ca):
    """Real resources for the generated requests to find. Returns the dictionaries of values."""
    site_key, auditor_key = ca.site["api_key"], ca.auditor["api_key"]
    individual, organization = ca.sample("individual-valid.json"), ca.sample("organization-valid.json")

    approved, tokens = [], []
    for _ in range(5):
        _, _, answer = ca.call("POST", "/v1/applications", {**individual, "site": ca.site["site_id"]}, expect=201)
        approved.append(answer["application_id"])
        tokens.append(answer["token"])
    _, _, answer = ca.call("POST", "/v1/applications", organization, expect=201)
    organization_token = answer["token"]
    _, _, rejected = ca.call("POST", "/v1/applications", ca.sample("individual-typo-checksum.json"), expect=201)

    # Redeemed at the fuzz site: its pseudonyms, for the subject status and the disclosures.
    _, _, verified = ca.call("POST", "/v1/tokens/verify", {"token": tokens.pop()}, key=site_key, expect=200)
    _, _, verified_organization = ca.call("POST", "/v1/tokens/verify", {"token": organization_token}, key=site_key, expect=200)
    pseudonyms = [verified["subject"], verified_organization["subject"]]

    # Applications waiting for a code; one of them confirmed (its token approved at registry+possession).
    pending = []
    for _ in range(4):
        _, _, answer = ca.call("POST", "/v1/applications", ca.sample("individual-with-phone.json"), expect=201)
        pending.append(answer["application_id"])
    code = ca.outbox_code(pending[0])
    _, _, confirmed = ca.call("POST", f"/v1/applications/{pending[0]}/confirm", {"code": code}, expect=200)
    tokens.append(confirmed["token"])

    # Disclosures: one approved by the second auditor, one waiting for approval.
    disclosures = []
    for index, pseudonym in enumerate(pseudonyms):
        _, _, request = ca.call("POST", "/v1/disclosures", {"site": ca.site["site_id"], "subject": pseudonym, "case": f"FUZZ-{index}"},
                                key=auditor_key, expect=201)
        disclosures.append(request["id"])
    ca.call("POST", f"/v1/disclosures/{disclosures[0]}/approve", key=ca.second_auditor["api_key"], expect=200)
    ca.call("GET", f"/v1/disclosures/{disclosures[0]}/identity", key=auditor_key, expect=200)

    session, csrf = sign_in(ca, auditor_key)
    closing_session, closing_csrf = sign_in(ca, auditor_key)
    return {
        "application_ids": approved + [rejected["application_id"]] + pending,
        "pending_ids": pending[1:],
        "tokens": tokens,
        "pseudonyms": pseudonyms,
        "site_ids": [ca.site["site_id"], ca.demo["site_id"]],
        "disclosure_ids": disclosures,
        "session": session, "csrf": [csrf],
        "closing_session": closing_session, "closing_csrf": [closing_csrf],
        "signin_csrf": ["fuzz-signin-csrf-0123456789"],
        "auditor_keys": [auditor_key],
    }


def toml_string(value):
    return json.dumps(value, ensure_ascii=False)


def toml_values(values):
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def write_config(path, ca, data, max_examples, seed, workers, checks=CHECKS):
    """The schemathesis configuration: credentials by security scheme, per-operation overrides, and
    the fixture's real values bound to parameters with a probability, so that the rest stays generated."""
    dictionaries = {
        "nasty": NASTY_STRINGS,
        "application_ids": data["application_ids"], "pending_ids": data["pending_ids"], "tokens": data["tokens"],
        "pseudonyms": data["pseudonyms"], "site_ids": data["site_ids"], "disclosure_ids": data["disclosure_ids"],
        "csrf": data["csrf"], "closing_csrf": data["closing_csrf"], "signin_csrf": data["signin_csrf"],
        "auditor_keys": data["auditor_keys"],
    }
    lines = [
        f"seed = {seed}",
        f"workers = {workers}",
        "continue-on-failure = true",
        "request-timeout = 30",
        "max-redirects = 0",
        "[generation]",
        f"max-examples = {max_examples}",
        'database = "none"',
        f'dictionaries.string = {{ dictionary = "nasty", probability = {NASTY_PROBABILITY} }}',
        "[checks]",
        "enabled = false",
        *[f"{check}.enabled = true" for check in checks],
        "[phases.stateful]",
        "max-steps = 6",
        "[auth.openapi.siteAPIKey]",
        f"bearer = {toml_string(ca.site['api_key'])}",
        "[auth.openapi.auditorAPIKey]",
        f"bearer = {toml_string(ca.auditor['api_key'])}",
        "[auth.openapi.auditorSession]",
        f"api_key = {toml_string(data['session'])}",
    ]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {toml_values(values)}"]

    def operation(operation_id, headers=None, parameters=None):
        block = ["[[operations]]", f"include-operation-id = {toml_string(operation_id)}"]
        if headers:
            block.append("headers = { " + ", ".join(f"{toml_string(k)} = {toml_string(v)}" for k, v in headers.items()) + " }")
        for key, (dictionary, probability) in (parameters or {}).items():
            block.append(f"parameters.{toml_string(key)} = {{ dictionary = {toml_string(dictionary)}, probability = {probability} }}")
        return block

    # Query, path and cookie strings take the nasty strings through the type-wide binding above; body
    # members only through bindings of their own.
    nasty = ("nasty", NASTY_BODY_PROBABILITY)
    lines += operation("createApplication", parameters={f"body.{member}": nasty for member in [
        "name", "resident_id", "organization_name", "credit_code", "organization_code", "legal_representative",
        "operator.name", "operator.resident_id"]})
    lines += operation("validateApplicationFields", parameters={f"body.{member}": nasty for member in [
        "name", "resident_id", "organization_name", "credit_code", "organization_code", "legal_representative",
        "operator.name", "operator.resident_id"]})
    lines += operation("getApplication", parameters={"path.id": ("application_ids", 0.5)})
    lines += operation("confirmApplication", parameters={"path.id": ("pending_ids", 0.5), "body.code": nasty})
    lines += operation("verifyToken", parameters={"body.token": ("tokens", 0.2)})
    lines += operation("getSubject", parameters={"path.pseudonym": ("pseudonyms", 0.5)})
    lines += operation("requestDisclosure", parameters={"body.site": ("site_ids", 0.5), "body.subject": ("pseudonyms", 0.5),
                                                        "body.case": nasty})
    lines += operation("getDisclosure", parameters={"path.id": ("disclosure_ids", 0.5)})
    lines += operation("showDisclosedIdentity", parameters={"path.id": ("disclosure_ids", 0.5)})
    # Auditor A requested the fixture's disclosures: the second auditor approves.
    lines += operation("approveDisclosure", headers={"Authorization": f"Bearer {ca.second_auditor['api_key']}"},
                       parameters={"path.id": ("disclosure_ids", 0.5)})
    lines += operation("signInAuditor", parameters={"cookie.idca_signin": ("signin_csrf", 0.5),
                                                    "body.signin_csrf": ("signin_csrf", 0.5), "body.api_key": ("auditor_keys", 0.3)})
    lines += operation("verifyAuditChainFromDashboard", parameters={"body.csrf": ("csrf", 0.3)})
    # Signing out ends its session: a session of its own, so that the others keep theirs.
    lines += operation("signOutAuditor", headers={"Cookie": f"idca_auditor={data['closing_session']}"},
                       parameters={"body.csrf": ("closing_csrf", 0.3)})
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def document_operations(document_path):
    """Every operation of the document, as (method, path, whether it takes any input to generate)."""
    document = yaml.safe_load(open(document_path, encoding="utf-8"))
    return [(method.upper(), path, bool(item.get("parameters") or item[method].get("parameters") or item[method].get("requestBody")))
            for path, item in document["paths"].items() for method in METHODS if method in item]


def run_schemathesis(directory, config, document, url, seed, max_examples, phases, timeout):
    """One schemathesis CLI run over the whole document, its output passed on as it comes;
    (exit status or None when it was stopped at `timeout` seconds, its output)."""
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", config, "run", document, "--url", url,
               "--seed", str(seed), "--max-examples", str(max_examples), "--phases", phases, "--no-color",
               "--output-truncate", "true", "--warnings", "off",
               "--report", "junit", "--report-dir", os.path.join(directory, "report")]
    environment = {**os.environ, "COLUMNS": "120", "HYPOTHESIS_STORAGE_DIRECTORY": os.path.join(directory, "hypothesis")}
    process = subprocess.Popen(command, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=environment, start_new_session=True)
    stopped = threading.Event()

    def watchdog():
        if not stopped.wait(timeout):
            os.killpg(process.pid, signal.SIGKILL)

    threading.Thread(target=watchdog, daemon=True).start()
    output = []
    for line in process.stdout:
        output.append(line)
        print(line, end="", flush=True)
    status = process.wait()
    timed_out = not stopped.is_set() and status == -signal.SIGKILL
    stopped.set()
    if timed_out:
        output.append(f"\n(schemathesis did not finish within {timeout} s)\n")
        return None, "".join(output)
    return status, "".join(output)


def summary_figures(output):
    """(generated cases, tested operations, failures) as schemathesis' summary states them."""
    cases = re.search(r"Test cases:\s*\n\s*(\d+) generated", output)
    tested = re.search(r"Tested:\s*(\d+)", output)
    failures = re.search(r"(\d+) generated, (?:\d+ found )?(\d+) unique failures", output)
    return (int(cases.group(1)) if cases else 0, int(tested.group(1)) if tested else 0,
            int(failures.group(2)) if failures else (0 if cases else None))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idca", required=True)
    parser.add_argument("--cases", type=int, default=5000, help="the least number of generated cases (default 5000)")
    parser.add_argument("--seed", type=int, default=8, help="schemathesis' seed (default 8)")
    parser.add_argument("--workers", type=int, default=1, help="schemathesis workers (default 1: reproducible order)")
    parser.add_argument("--timeout", type=int, help="seconds schemathesis may take in all (default: 0.12 s a case, at least 600)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (server log, reports)")
    parser.add_argument("--checks", default=",".join(CHECKS), help="schemathesis checks, comma-separated (default: %(default)s)")
    parser.add_argument("--document", default=DOCUMENT, help=argparse.SUPPRESS)  # to test the test with a wrong document
    arguments = parser.parse_args()
    idca = os.path.abspath(arguments.idca)
    try:
        import schemathesis
    except ImportError:
        log("FAIL: schemathesis is not installed (make deps, or python3 -m pip install schemathesis==4.32.5)")
        log("api fuzz: 0 cases, 0 operations, 1 failures")
        return 1
    log(f"schemathesis {schemathesis.__version__}")

    timeout = arguments.timeout or max(600, math.ceil(arguments.cases * 0.12))
    document = os.path.abspath(arguments.document)
    operations = document_operations(document)
    # schemathesis' budget is per operation: the fuzzing phase generates at most `max_examples` cases
    # for each, and the other phases add their own. Operations that take no input (health, metrics,
    # the key set, the assets) stop after a case or two, so the budget is shared by the others. When
    # operations with a small input space still leave the total short, further fuzzing passes with
    # the next seeds make up the difference (at most three; each as reproducible as the first).
    generative = max(1, sum(1 for operation in operations if operation[2]))
    max_examples = max(10, math.ceil(arguments.cases * 0.85 / generative))
    directory = tempfile.mkdtemp(prefix="idca-fuzz-")
    ca = LiveCA(idca, directory)
    cases, tested, failures, problems, started = 0, 0, 0, [], time.time()
    try:
        ca.seed()
        ca.start()
        data = make_resources(ca)
        config = os.path.join(directory, "schemathesis.toml")
        write_config(config, ca, data, max_examples, arguments.seed, arguments.workers, arguments.checks.split(","))
        fuzz_started = time.time()
        for attempt in range(4):
            seed = arguments.seed + attempt
            phases = "examples,coverage,fuzzing,stateful" if attempt == 0 else "fuzzing"
            if attempt > 0:
                if cases >= arguments.cases:
                    break
                max_examples = max(10, math.ceil((arguments.cases - cases) * 1.2 / generative))
            log(f"fuzzing {len(operations)} operations of {os.path.relpath(document, ROOT)} at {ca.url}: phases {phases}, "
                f"seed {seed}, at most {max_examples} fuzzed cases per operation, {arguments.workers} worker(s)")
            remaining = max(60, timeout - (time.time() - fuzz_started))
            status, output = run_schemathesis(directory, config, document, ca.url, seed, max_examples, phases, remaining)
            run_cases, run_tested, run_failures = summary_figures(output)
            cases += run_cases
            tested = max(tested, run_tested)
            if status is None or run_failures is None:
                problems.append(f"schemathesis did not complete (seed {seed})")
                failures += run_failures or 0
                break
            failures += run_failures
            if status != 0 and run_failures == 0:
                problems.append(f"schemathesis exited {status} without reporting a failure (seed {seed})")
        elapsed = time.time() - fuzz_started
        if tested != len(operations):
            problems.append(f"schemathesis tested {tested} of the document's {len(operations)} operations")
        if cases < arguments.cases:
            problems.append(f"only {cases} cases were generated, fewer than --cases {arguments.cases}")
        if not ca.healthy():
            problems.append("the server no longer answers /healthz after the run")
        logged = ca.unexpected_failures()
        if logged:
            problems.append(f"the server logged {len(logged)} 5xx answers or unexpected failures, e.g. {logged[:3]}")
        code = ca.stop()
        if code != 0:
            problems.append(f"the server did not stop cleanly on SIGTERM (exit {code})")
        log(f"fuzz run: {elapsed:.0f} s of schemathesis, {time.time() - started:.0f} s in all")
    except Exception as error:  # the run cannot go on (the server died, a fixture step failed): say so, count it
        traceback.print_exc()
        problems.append(f"the run stopped early: {type(error).__name__}: {error}")
    finally:
        ca.stop()
        if arguments.keep:
            log(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    for problem in problems:
        log("FAIL: " + problem)
    failures = (failures or 0) + len(problems)
    log(f"api fuzz: {cases} cases, {tested} operations, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
