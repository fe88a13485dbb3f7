"""Shared by the tests that drive `idca serve` processes, kill them and check what survived
(Tests/Postgres/multi_instance_test.py, Tests/Reliability/crash_test.py, …): one server process, one HTTP call
that never retries, the `idca` command line on the same database, a throwaway PostgreSQL database, and the
checks made after a crash (`idca audit verify`, the audit log read through the API, the auditors' statistics,
the JWKS).

Functions that check something take `check(condition, what)` (for example `serving.Tally().check`).
"""
import contextlib, datetime, http.client, json, os, random, re, subprocess, threading, time, urllib.parse

from serving import announced_port, terminate

_lock = threading.Lock()


class Unreachable(Exception):
    """No HTTP answer: connection refused or reset, or a timeout (a killed server). `refused` is True when
    nothing was listening (the call cannot have reached the server); `at` is when the call failed."""

    def __init__(self, message, refused=False):
        super().__init__(message)
        self.refused, self.at = refused, time.time()


class Server:
    """One `idca serve` process, run in `directory` on `database`; its log is `serve-NAME-N.log` there
    (N counts the starts). `arguments` are added to `serve`'s, `environment` to the inherited one. Every
    5xx answer any call gets is appended to `server_errors` (a list the caller owns) as
    (name, method, path, status, body, time)."""

    def __init__(self, name, idca, directory, database, arguments=(), environment=None, server_errors=None):
        self.name, self.idca, self.directory, self.database = name, idca, directory, database
        self.arguments, self.environment = list(arguments), dict(environment or {})
        self.server_errors = server_errors if server_errors is not None else []
        self.process, self.port, self.starts, self.logs, self.log = None, None, 0, [], None

    def launch(self, port=0):
        """Start the process and return at once (it may still be opening the database)."""
        self.starts += 1
        path = os.path.join(self.directory, f"serve-{self.name}-{self.starts}.log")
        self.logs.append(path)
        if self.log:
            self.log.close()
        self.log = open(path, "w+")
        self.port = None
        self.process = subprocess.Popen([self.idca, "serve", "--port", str(port), "--database", self.database, *self.arguments],
                                        cwd=self.directory, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL,
                                        env={**os.environ, **self.environment})

    def start(self, port=0, timeout=60):
        """Start and wait for the `listening` line; RuntimeError (with the log's end) if it does not come."""
        self.launch(port)
        self.port = announced_port(self.log, self.process, timeout)
        if self.port is not None:
            return
        self.kill()
        raise RuntimeError(f"server {self.name} did not start:\n" + open(self.logs[-1]).read()[-3000:])

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL, the crash (kill -9)."""
        if self.alive():
            self.process.kill()
        if self.process:
            self.process.wait()

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL after `timeout`; the exit status (None if it had to be killed)."""
        return terminate(self.process, timeout)

    def close(self):
        """Stop (as `stop`) and close the log file."""
        self.stop(timeout=15)
        if self.log:
            self.log.close()
            self.log = None

    def call(self, method, path, body=None, api_key=None, timeout=30):
        """(status, parsed body); raises Unreachable when no answer came. Never retries."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        try:
            connection.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
            response = connection.getresponse()
            status, text = response.status, response.read().decode()
        except (OSError, http.client.HTTPException) as error:
            raise Unreachable(f"{self.name} {method} {path}: {error!r}", refused=isinstance(error, ConnectionRefusedError)) \
                from error
        finally:
            connection.close()
        if status >= 500:
            with _lock:
                self.server_errors.append((self.name, method, path, status, text[:300], time.time()))
        try:
            parsed = json.loads(text) if text.startswith("{") else text
        except ValueError:
            parsed = text
        return status, parsed

    def wait_healthy(self, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                status, body = self.call("GET", "/healthz", timeout=5)
                if status == 200 and body == {"status": "ok"}:
                    return True
            except Unreachable:
                pass
            time.sleep(0.1)
        return False

    def print_notable_log_lines(self, count=15):
        """For a post-mortem: the last errors, warnings and 5xx of each log (or its last lines)."""
        for path in self.logs:
            try:
                lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
            except OSError:
                continue
            notable = [line for line in lines if re.search(r" (error|critical|warning) |status=5\d\d", line)]
            print(f"--- {os.path.basename(path)}: {len(lines)} lines, {len(notable)} notable; last of them:")
            for line in (notable or lines)[-count:]:
                print("   ", line[:400])


def idca_command(idca, directory, database, *arguments, timeout=300):
    """`idca ARGUMENTS… --database DATABASE` in `directory` (whose `keys/` it uses), as a CompletedProcess."""
    return subprocess.run([idca, *arguments, "--database", database], cwd=directory, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def psql(url, sql):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql], capture_output=True, text=True, timeout=120)


def database_url(server_url, name):
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextlib.contextmanager
def postgres_database(server_url, prefix, check):
    """A fresh database on the server of `server_url` (a superuser URL), named PREFIX_PID_RANDOM; yields its
    URL, or None (a failed check) when it cannot be created. Dropped afterwards, also on failure."""
    name = f"{prefix}_{os.getpid()}_{random.randrange(16 ** 6):06x}"
    made = psql(server_url, f'CREATE DATABASE "{name}"')
    if not check(made.returncode == 0, f"CREATE DATABASE {name}: {made.stderr}"):
        yield None
        return
    try:
        yield database_url(server_url, name)
    finally:
        dropped = psql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if dropped.returncode != 0:
            print(f"could not drop database {name}: {dropped.stderr}", flush=True)


def statistics_window():
    """A window surely holding today in Asia/Shanghai, whatever the machine's clock zone."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return f"from={today - datetime.timedelta(days=30)}&to={today + datetime.timedelta(days=1)}"


def audit_verify(idca, directory, database, when, check, checkpoints=()):
    """`idca audit verify --json` (with `--checkpoint FILE` for each of `checkpoints`, checkpoints kept
    outside the CA) must exit 0 and say `intact`; its report (empty if unreadable)."""
    kept = [argument for path in checkpoints for argument in ("--checkpoint", path)]
    result = idca_command(idca, directory, database, "audit", "verify", *kept, "--json")
    try:
        report = json.loads(result.stdout or "{}")
    except ValueError:
        report = {}
    check(result.returncode == 0 and report.get("intact") is True,
          f"idca audit verify {when}: exit {result.returncode} {result.stdout[-500:]} {result.stderr[-1000:]}")
    return report


def audit_entries(server, auditor_key, check):
    """Every entry of the audit log, through `GET /v1/audit/entries`."""
    entries, after = [], 0
    while after is not None:
        status, page = server.call("GET", f"/v1/audit/entries?after={after}&limit=1000", api_key=auditor_key, timeout=60)
        if not check(status == 200, f"audit entries page after {after}: {status} {str(page)[:300]}"):
            return entries
        entries += page["entries"]
        after = page["next_after"]
    return entries


def check_log_chain(entries, when, check):
    check([e["sequence"] for e in entries] == list(range(1, len(entries) + 1)),
          f"the audit log's sequence numbers run 1…{len(entries)} without gaps {when}")
    broken = [b["sequence"] for a, b in zip(entries, entries[1:]) if b["prev_hash"] != a["hash"]]
    check(not broken, f"every audit entry links to the one before {when} (first break at {broken[:3]})")


def statistics(server, auditor_key, check):
    """The `totals` of `GET /v1/statistics/applications` over a window holding today ({} on failure)."""
    status, report = server.call("GET", f"/v1/statistics/applications?{statistics_window()}", api_key=auditor_key)
    check(status == 200, f"GET /v1/statistics/applications: {status} {str(report)[:300]}")
    return report.get("totals", {}) if isinstance(report, dict) else {}


def jwks(server, check):
    status, body = server.call("GET", "/.well-known/jwks.json")
    check(status == 200 and isinstance(body, dict) and body.get("keys"), f"{server.name} JWKS: {status} {str(body)[:200]}")
    return body
