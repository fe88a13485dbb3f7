"""Live-server smoke test: the real `idca` binary, a demo registry, the README walk-through, the
possession check (codes read from the development outbox), revocation and the sites' feed, the
anti-enumeration budgets (a locked resident ID, a throttled address), the impersonation report,
lawful disclosure by two auditors, and every response checked against Docs/API.openapi.yaml.

usage: python3 Tests/API/smoke_test.py --idca PATH_TO_IDCA

Runs in a fresh temporary directory on 127.0.0.1 with a free port, stops the server with SIGTERM
and requires a clean exit. Ends with `smoke: N passed, M failed`.
"""
import argparse, json, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request

import yaml
from jsonschema import Draft202012Validator

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from serving import announced_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = yaml.safe_load(open(os.path.join(ROOT, "Docs", "API.openapi.yaml")))
passed, failed = 0, 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def escape(part):
    return part.replace("~", "~0").replace("/", "~1")


def schema_errors(method, route, status, content_type, body):
    """The schema errors of one response against the document (a missing status is an error too)."""
    operation = SPEC["paths"][route][method.lower()]
    response = operation["responses"].get(str(status))
    if response is None:
        return [f"status {status} is not documented for {method} {route}"]
    pointer = f"#/paths/{escape(route)}/{method.lower()}/responses/{status}"
    while "$ref" in response:
        name = response["$ref"].split("/")[-1]
        pointer = f"#/components/responses/{name}"
        response = SPEC["components"]["responses"][name]
    media = [m for m in response.get("content", {}) if m.split(";")[0] == content_type.split(";")[0]]
    if not media:
        return [f"content type {content_type} is not documented"]
    if not media[0].startswith("application/") or "json" not in media[0]:
        return []
    validator = Draft202012Validator({**SPEC, "$ref": f"{pointer}/content/{escape(media[0])}/schema"})
    return [error.message for error in validator.iter_errors(json.loads(body))]


class Server:
    def __init__(self, idca, directory):
        self.idca, self.directory = idca, directory

    def command(self, *arguments):
        return subprocess.run([self.idca, *arguments], cwd=self.directory, capture_output=True, text=True, timeout=300)

    def start(self, *options, log="serve.log"):
        if not hasattr(self, "lifted"):
            # Builds with a per-phone limit on codes (--codes-per-hour, default 3) would refuse this run's
            # fourth code to the same phone; lift it where the flag exists (older builds lack it).
            usage = subprocess.run([self.idca, "serve", "--help"], capture_output=True, text=True, timeout=60)
            self.lifted = ["--codes-per-hour", "100"] if "--codes-per-hour" in usage.stdout + usage.stderr else []
        self.log = open(os.path.join(self.directory, log), "w+")
        self.process = subprocess.Popen([self.idca, "serve", "--port", "0", *self.lifted, *options], cwd=self.directory, stderr=self.log,
                                        stdout=self.log)
        self.port = announced_port(self.log, self.process, 30)
        if self.port is not None:
            return
        self.process.kill()
        self.process.wait()
        raise RuntimeError("the server did not start:\n" + open(self.log.name).read())

    def call(self, method, path, body=None, api_key=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if api_key:
            request.add_header("Authorization", f"Bearer {api_key}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, text = response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, dict(error.headers), error.read().decode()
        route = path.split("?")[0]
        for pattern, template in [(r"^/v1/applications/[^/]+/confirm$", "/v1/applications/{id}/confirm"),
                                  (r"^/v1/applications/[^/]+$", "/v1/applications/{id}"),
                                  (r"^/v1/sites/me/subjects/[^/]+$", "/v1/sites/me/subjects/{pseudonym}"),
                                  (r"^/v1/disclosures/[^/]+/approve$", "/v1/disclosures/{id}/approve"),
                                  (r"^/v1/disclosures/[^/]+/identity$", "/v1/disclosures/{id}/identity"),
                                  (r"^/v1/disclosures/[^/]+$", "/v1/disclosures/{id}")]:
            route = re.sub(pattern, template, route)
        errors = schema_errors(method, route, status, headers.get("Content-Type", ""), text)
        check(not errors, f"{method} {path} {status} matches the OpenAPI document: {errors[:3]} {text[:200]}")
        check("X-Request-ID" in headers or "x-request-id" in {k.lower() for k in headers}, f"{method} {path} has X-Request-ID")
        return status, headers, (json.loads(text) if text.startswith("{") else text)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def resident_id(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def count_residents(directory):
    result = subprocess.run(["sqlite3", os.path.join(directory, "var", "idca.sqlite"), "SELECT count(*) FROM residents"],
                            capture_output=True, text=True)
    return int(result.stdout.strip() or -1)


def check_imports(server, directory):
    """Rejects with line numbers, idempotence, and an import killed midway leaving nothing behind."""
    before = count_residents(directory)
    rows = ["resident_id,name,status,phone",
            f"{resident_id('11010519800101001')},甲一,active,13800000000",
            f"{resident_id('11010519800101002')},乙二,deceased,",
            "110105198001010031,丙三,active,",
            f"{resident_id('11010519800101004')},丁四,retired,",
            f"{resident_id('11010519800101005')},\"戊,五\",active,"]
    path = os.path.join(directory, "extract.csv")
    open(path, "w").write("\n".join(rows) + "\n")
    first = server.command("registry", "import", "residents", path, "--json")
    report = json.loads(first.stdout)
    check(report["imported"] == 3 and report["rejected"] == 2, f"import counts: {report}")
    rejects = open(os.path.join(directory, "extract.rejects.csv")).read().splitlines()
    check(rejects[0] == "line,reason,column" and "4,checksum,resident_id" in rejects and "5,unknown_status,status" in rejects,
          f"rejects file: {rejects}")
    check(not any("丙三" in line or "110105198001010031" in line for line in rejects), "the rejects file holds no personal data")
    check(count_residents(directory) == before + 3, "three rows imported")
    again = json.loads(server.command("registry", "import", "residents", path, "--json").stdout)
    check(again["imported"] == 3 and count_residents(directory) == before + 3, "importing the same file twice changes nothing")

    big = os.path.join(directory, "big.csv")
    with open(big, "w") as out:
        out.write("resident_id,name,status\n")
        for index in range(400_000):
            day = 1 + index % 28
            out.write(f"{resident_id(f'3101151970{1 + index // 28 % 12:02d}{day:02d}{index % 1000:03d}'[:17])},某{index},active\n")
    process = subprocess.Popen([server.idca, "registry", "import", "residents", big], cwd=directory,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    process.kill()
    process.wait()
    check(count_residents(directory) == before + 3, "an import killed midway leaves the registry as it was")

    clean = os.path.join(directory, "extract.csv")
    open(clean, "w").write(rows[0] + "\n" + rows[1] + "\n")
    check(server.command("registry", "import", "residents", clean).returncode == 0, "a clean import exits 0")
    check(not os.path.exists(os.path.join(directory, "extract.rejects.csv")), "a clean import removes the stale rejects file")


def check_operator_safety(server, directory):
    """Commands refuse what would silently damage or confuse an existing CA."""
    index_key = os.path.join(directory, "keys", "index.key")
    os.rename(index_key, index_key + ".away")
    generated = server.command("keys", "generate")
    check(generated.returncode == 1 and "restore the original key files" in generated.stderr,
          f"keys generate refuses a new index key for a populated database: {generated.stderr}")
    check(not os.path.exists(index_key), "no replacement index key was written")
    os.rename(index_key + ".away", index_key)
    listed = server.command("sites", "list", "--database", "var/typo.sqlite", "--json")
    check(listed.returncode == 1 and json.loads(listed.stdout)["error"] == "command_failed", "a mistyped --database is an error, in JSON when asked")
    check(not os.path.exists(os.path.join(directory, "var", "typo.sqlite")), "no empty database was created")


def check_audit_and_statistics(server, directory, demo, auditor):
    """The auditor's side of the live server: the log pages, the statistics in every format, and the
    same numbers from `idca stats export` without the server."""
    key = auditor["api_key"]
    status, _, page = server.call("GET", "/v1/audit/entries?limit=5", api_key=key)
    check(status == 200 and [e["sequence"] for e in page["entries"]] == [1, 2, 3, 4, 5], f"audit entries page: {str(page)[:200]}")
    check(page["next_after"] == 5, "next_after points at the next page")
    entries, after = [], 0
    while after is not None:
        status, _, page = server.call("GET", f"/v1/audit/entries?after={after}&limit=1000", api_key=key)
        entries += page["entries"]
        after = page["next_after"]
    check(len(entries) == page["head"]["sequence"], "paging reaches the head")
    check(all(b["prev_hash"] == a["hash"] for a, b in zip(entries, entries[1:])), "every entry links to the one before")
    types = {e["type"] for e in entries}
    for kind in ["key.generated", "registry.imported", "site.added", "auditor.added", "application.decided", "token.planned",
                 "token.issued", "token.verified", "possession.challenged", "possession.answered", "certification.revoked"]:
        check(kind in types, f"the log has {kind} entries")
    status, _, body = server.call("GET", "/v1/audit/entries", api_key=demo["api_key"])
    check(status == 401, "a site key cannot read the audit log")

    decided = [e for e in entries if e["type"] == "application.decided"]
    window = "from=2026-01-01&to=2027-12-31"
    status, _, stats = server.call("GET", f"/v1/statistics/applications?{window}&group_by=subject_type,reason", api_key=key)
    check(status == 200 and stats["totals"]["applications"] == len(decided),
          f"statistics count every decision in the log: {stats['totals']} vs {len(decided)}")
    rejected = sum(1 for e in decided if e["outcome"] == "rejected")
    check(stats["totals"]["rejected"] == rejected, "statistics count every rejection in the log")
    status, headers, csv_text = server.call("GET", f"/v1/statistics/applications?{window}&group_by=subject_type,reason&format=csv", api_key=key)
    check(status == 200 and headers.get("Content-Type", "").startswith("text/csv") and csv_text.startswith("subject_type,reason,applications"),
          "statistics as CSV")
    exported = server.command("stats", "export", "--from", "2026-01-01", "--to", "2027-12-31", "--group-by", "subject_type,reason")
    check(exported.returncode == 0 and exported.stdout.replace("\r\n", "\n") == csv_text.replace("\r\n", "\n"),
          f"idca stats export gives the API's CSV: {exported.stderr}")
    status, headers, html = server.call("GET", f"/v1/statistics/applications?{window}&format=html", api_key=key)
    check(status == 200 and html.startswith("<!DOCTYPE html>") and "<script" not in html, "statistics as a self-contained HTML report")
    status, _, body = server.call("GET", "/v1/statistics/applications?group_by=nation", api_key=key)
    check(status == 400 and body["field"] == "group_by", "a bad group_by is refused by name")
    status, _, body = server.call("GET", "/v1/audit/checkpoints/latest", api_key=key)
    check(status in (200, 404), "latest checkpoint")
    return entries


# The registry row check_imports loads with a phone number: the possession check's applicant.
WITH_PHONE = {"subject_type": "individual", "name": "甲一", "resident_id": resident_id("11010519800101001")}
PHONE = "13800000000"


def outbox_code(outbox, application_id):
    """The code the development outbox holds for an application, and the destination it shows."""
    deadline = time.time() + 5
    while time.time() < deadline:
        if os.path.exists(outbox):
            for line in open(outbox, encoding="utf-8").read().splitlines():
                found = re.search(r"application=(\S+) to=(\S+) code=(\S+) ", line)
                if found and found.group(1) == application_id:
                    return found.group(3), found.group(2)
        time.sleep(0.05)
    return None, None


def apply_and_confirm(server, outbox):
    """Apply as the registry row with a phone, read the code from the outbox, confirm; the token."""
    status, _, pending = server.call("POST", "/v1/applications", WITH_PHONE)
    code, _ = outbox_code(outbox, pending.get("application_id"))
    status, _, confirmed = server.call("POST", f"/v1/applications/{pending.get('application_id')}/confirm", {"code": code or ""})
    check(status == 200 and confirmed.get("status") == "approved", f"the right code approves: {confirmed}")
    return confirmed.get("token", "")


def check_possession(server, outbox, decided_id, site_key):
    """The possession check on the live server: pending, the outbox, wrong and malformed codes, the
    right code, and the refusals of confirm. Returns the pseudonym the site got and a redeemed token."""
    status, headers, pending = server.call("POST", "/v1/applications", WITH_PHONE)
    check(status == 201 and pending.get("status") == "pending_possession" and "token" not in pending,
          f"an applicant with a phone on file is pending: {pending}")
    application = pending.get("application_id", "")
    check(headers.get("Location") == f"/v1/applications/{application}", "a pending application has a Location header")
    possession = pending.get("possession", {})
    check(possession.get("destination") == "*******0000" and possession.get("attempts_left") == 5 and possession.get("channel") == "sms",
          f"the code went to the masked phone, 5 attempts: {possession}")
    status, _, looked_up = server.call("GET", f"/v1/applications/{application}")
    check(status == 200 and looked_up.get("status") == "pending_possession", f"GET shows a pending application: {looked_up}")

    code, destination = outbox_code(outbox, application)
    check(code is not None and re.fullmatch(r"[0-9]{6}", code) and destination == "*******0000",
          f"the outbox holds a six-digit code for the application: {code} {destination}")
    check(PHONE not in open(outbox, encoding="utf-8").read(), "the outbox masks the phone number")
    code = code or "000000"
    confirm = f"/v1/applications/{application}/confirm"

    for malformed in ["12345", "12a456", "１２３４５６"]:
        status, _, body = server.call("POST", confirm, {"code": malformed})
        check(status == 400 and body.get("error") == "invalid_code" and body.get("field") == "code", f"400 invalid_code for {malformed!r}: {body}")
    status, _, body = server.call("POST", confirm, raw=b"{}")
    check(status == 400 and body.get("error") == "missing_field" and body.get("field") == "code", f"400 missing_field code: {body}")
    status, _, looked_up = server.call("GET", f"/v1/applications/{application}")
    check(looked_up.get("possession", {}).get("attempts_left") == 5, f"malformed codes spend no attempt: {looked_up}")

    wrong = "000000" if code != "000000" else "000001"
    status, _, body = server.call("POST", confirm, {"code": wrong})
    check(status == 200 and body.get("status") == "pending_possession" and body.get("reason") == "possession_code_wrong"
          and body.get("field") == "code" and body.get("message") and body.get("possession", {}).get("attempts_left") == 4,
          f"a wrong code keeps it pending with 4 attempts left: {body}")

    status, _, approved = server.call("POST", confirm, {"code": code})
    check(status == 200 and approved.get("status") == "approved" and approved.get("token") and approved.get("expires_at"),
          f"the right code approves with a token: {approved}")
    status, _, body = server.call("POST", confirm, {"code": code})
    check(status == 409 and body.get("error") == "application_not_pending", f"confirming twice is 409: {body}")
    status, _, looked_up = server.call("GET", f"/v1/applications/{application}")
    check(looked_up.get("status") == "approved" and "token" not in looked_up, f"GET shows the approval without the token: {looked_up}")
    status, _, body = server.call("POST", f"/v1/applications/{decided_id}/confirm", {"code": code})
    check(status == 409 and body.get("error") == "application_not_pending", f"an application approved without a code is 409: {body}")
    status, _, body = server.call("POST", "/v1/applications/app_aaaaaaaaaaaaaaaaaaaaaaaaaa/confirm", {"code": code})
    check(status == 404 and body.get("error") == "application_not_found", f"confirm of an unknown application is 404: {body}")
    status, _, body = server.call("POST", "/v1/applications/nonsense/confirm", {"code": code})
    check(status == 404 and body.get("error") == "application_not_found", f"confirm of a malformed id is 404: {body}")

    status, _, verified = server.call("POST", "/v1/tokens/verify", {"token": approved.get("token", "")}, site_key)
    check(verified.get("active") is True and verified.get("acr") == "registry+possession",
          f"the token verifies at acr registry+possession: {verified}")
    return verified.get("subject", ""), approved.get("token", "")


def check_revocation(server, outbox, pseudonym, redeemed, site_key, other_key):
    """The sites' feed and subject status before and after `idca certifications revoke`, run on the
    same database, and a certification issued afterwards."""
    unredeemed = apply_and_confirm(server, outbox)
    status, headers, feed = server.call("GET", "/v1/sites/me/revocations", api_key=site_key)
    check(status == 200 and feed.get("revocations") == [] and re.fullmatch(r"[0-9]+", feed.get("next_cursor", "")),
          f"nothing revoked yet: {feed}")
    check(headers.get("Cache-Control") == "no-store", "the feed is no-store")
    start = feed.get("next_cursor", "0")
    status, headers, subject = server.call("GET", f"/v1/sites/me/subjects/{pseudonym}", api_key=site_key)
    check(status == 200 and subject.get("status") == "certified" and subject.get("accounts") == 1 and "reason" not in subject,
          f"the subject is certified: {subject}")
    check(headers.get("Cache-Control") == "no-store", "the subject status is no-store")
    status, _, body = server.call("GET", f"/v1/sites/me/subjects/{pseudonym}", api_key=other_key)
    check(status == 404 and body.get("error") == "subject_not_found", f"another site cannot ask about the subject: {body}")
    status, _, body = server.call("GET", f"/v1/sites/me/subjects/{'a' * 32}", api_key=site_key)
    check(status == 404 and body.get("error") == "subject_not_found", f"an unknown pseudonym is 404: {body}")
    status, _, body = server.call("GET", "/v1/sites/me/revocations?limit=0", api_key=site_key)
    check(status == 400 and body.get("error") == "invalid_parameter" and body.get("field") == "limit", f"limit=0 is refused: {body}")
    status, _, body = server.call("GET", "/v1/sites/me/revocations?since=abc", api_key=site_key)
    check(status == 400 and body.get("field") == "since", f"a cursor that is not a number is refused: {body}")
    status, headers, body = server.call("GET", "/v1/sites/me/revocations")
    check(status == 401 and headers.get("WWW-Authenticate") == "Bearer", f"the feed needs a site key: {body}")

    database = os.path.join("var", "idca.sqlite")
    revoked = server.command("certifications", "revoke", "--resident-id", WITH_PHONE["resident_id"], "--reason", "impersonation",
                             "--database", database, "--json")
    report = json.loads(revoked.stdout or "{}")
    check(revoked.returncode == 0 and report.get("revoked") is True and report.get("reason") == "impersonation",
          f"idca certifications revoke: {revoked.stdout} {revoked.stderr}")

    status, _, body = server.call("POST", "/v1/tokens/verify", {"token": unredeemed}, site_key)
    check(body == {"active": False, "reason": "certification_revoked"}, f"an unredeemed token of a revoked subject: {body}")
    status, _, body = server.call("POST", "/v1/tokens/verify", {"token": unredeemed}, site_key)
    check(body == {"active": False, "reason": "certification_revoked"}, f"the refusal consumed nothing: {body}")
    status, _, body = server.call("POST", "/v1/tokens/verify", {"token": redeemed}, site_key)
    check(body == {"active": False, "reason": "token_already_used"}, f"a used token stays used: {body}")

    status, _, feed = server.call("GET", f"/v1/sites/me/revocations?since={start}", api_key=site_key)
    entries = feed.get("revocations", [])
    check(status == 200 and len(entries) == 1 and entries[0].get("subject") == pseudonym and entries[0].get("reason") == "impersonation"
          and entries[0].get("subject_type") == "individual" and feed.get("next_cursor") == entries[0].get("cursor"),
          f"the feed names the revoked subject by the site's pseudonym: {feed}")
    status, _, after = server.call("GET", f"/v1/sites/me/revocations?since={feed.get('next_cursor')}&limit=10", api_key=site_key)
    check(after.get("revocations") == [] and after.get("next_cursor") == feed.get("next_cursor"),
          f"next_cursor moves past what was read and stays put: {after}")
    status, _, other = server.call("GET", "/v1/sites/me/revocations", api_key=other_key)
    check(not any(entry.get("subject") == pseudonym for entry in other.get("revocations", [])),
          "a site that never redeemed the subject's token is not told")
    status, _, subject = server.call("GET", f"/v1/sites/me/subjects/{pseudonym}", api_key=site_key)
    check(subject.get("status") == "revoked" and subject.get("reason") == "impersonation" and subject.get("revoked_at"),
          f"the subject is revoked: {subject}")
    again = server.command("certifications", "revoke", "--resident-id", WITH_PHONE["resident_id"], "--reason", "impersonation",
                           "--database", database, "--json")
    check(again.returncode == 1 and json.loads(again.stdout or "{}").get("revoked") is False,
          f"nothing left to revoke exits 1: {again.stdout} {again.stderr}")

    # A certification issued after the revocation (a later second) is a new one.
    time.sleep(1.2)
    renewed = apply_and_confirm(server, outbox)
    status, _, body = server.call("POST", "/v1/tokens/verify", {"token": renewed}, site_key)
    check(body.get("active") is True and body.get("subject") == pseudonym and body.get("accounts_for_subject") == 2,
          f"a certification after the revocation verifies: {body}")
    status, _, subject = server.call("GET", f"/v1/sites/me/subjects/{pseudonym}", api_key=site_key)
    check(subject.get("status") == "certified" and subject.get("accounts") == 2 and "revoked_at" not in subject,
          f"the subject is certified again: {subject}")
    status, _, feed = server.call("GET", f"/v1/sites/me/revocations?since={start}", api_key=site_key)
    check(feed.get("revocations") == [], f"a revocation older than the site's newest certification leaves its feed: {feed}")


def check_gateway_failure(server, directory):
    """An SMS gateway that cannot be reached: 503 possession_delivery_failed with Retry-After, and a
    recorded rejection (possession_undelivered)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    server.start("--sms-webhook", f"http://127.0.0.1:{closed_port}/sms", "--sms-webhook-timeout", "1",
                 "--sms-webhook-retries", "0", log="serve-gateway.log")
    try:
        status, headers, body = server.call("POST", "/v1/applications", WITH_PHONE)
        check(status == 503 and body.get("error") == "possession_delivery_failed" and headers.get("Retry-After") == "60",
              f"an unreachable gateway is 503 with Retry-After: {status} {headers.get('Retry-After')} {body}")
    finally:
        code = server.stop()
    check(code == 0, f"the gateway server stops cleanly (got {code})")
    import sqlite3
    with sqlite3.connect(os.path.join(directory, "var", "idca.sqlite")) as connection:
        reasons = [row[0] for row in connection.execute(
            "SELECT reason FROM audit_log WHERE type = 'application.decided' ORDER BY seq DESC LIMIT 1")]
    check(reasons == ["possession_undelivered"], f"the undelivered code is a recorded rejection: {reasons}")


def audit_rows(directory, where, arguments=()):
    """(type, subject, outcome, reason, object, detail) of the audit entries matching `where`, oldest first."""
    import sqlite3
    with sqlite3.connect(os.path.join(directory, "var", "idca.sqlite")) as connection:
        return connection.execute(f"SELECT type, subject, outcome, reason, object, detail FROM audit_log WHERE {where} ORDER BY seq",
                                  arguments).fetchall()


# A resident ID number of the right shape that the smoke registry does not hold (a stranger's).
STRANGER = {"subject_type": "individual", "name": "冒用者", "resident_id": resident_id("11010519900307123")}


def check_budget(server, directory):
    """Five failed matches of one resident ID lock it: the sixth application is 429 identity_locked with
    Retry-After, refused before any registry lookup, and audited as budget.refused."""
    for attempt in range(5):
        status, _, body = server.call("POST", "/v1/applications", STRANGER)
        check(status == 201 and body.get("status") == "rejected" and body.get("reason") == "registry_mismatch",
              f"failed match {attempt + 1} of a stranger's number is an ordinary rejection: {status} {body}")
    status, headers, body = server.call("POST", "/v1/applications", STRANGER)
    retry = headers.get("Retry-After", "")
    check(status == 429 and body.get("error") == "identity_locked" and "field" not in body,
          f"the sixth application of the number is 429 identity_locked: {status} {body}")
    check(retry.isdigit() and 86_000 <= int(retry) <= 86_400, f"Retry-After is the rest of the 24 h lock: {retry!r}")
    check(STRANGER["resident_id"] not in json.dumps(body, ensure_ascii=False), "the refusal does not echo the number")
    status, _, body = server.call("POST", "/v1/applications", {**STRANGER, "name": "另一个名字"})
    check(status == 429 and body.get("error") == "identity_locked", f"another name does not unlock the number: {status} {body}")
    refused = audit_rows(directory, "type = 'budget.refused' AND reason = 'identity_locked'")
    check(len(refused) == 2 and all(row[1] and row[2] == "refused" and re.search(r"\buntil=[0-9]+\b", row[5]) for row in refused),
          f"each refusal is audited as budget.refused with until=: {refused}")
    decided = audit_rows(directory, "type = 'application.decided' AND subject = ?", (refused[0][1] if refused else "",))
    check(len(decided) == 5 and all(row[3] == "registry_not_found" for row in decided),
          f"a refused application is not a decision (five decisions, all registry_not_found): {[row[3] for row in decided]}")
    return refused[0][1] if refused else None


REFERENCE = re.compile(r"^[0-9a-f]{64}$")


def check_impersonation_report(server, directory, auditor, site_key, people, stranger_reference):
    """GET /v1/reports/impersonation: auditors only, the parameters checked, keyed references only, and
    each reference found in the audit log's subject column."""
    status, headers, _ = server.call("GET", "/v1/reports/impersonation")
    check(status == 401 and headers.get("WWW-Authenticate") == "Bearer", "the report needs an auditor key")
    status, _, _ = server.call("GET", "/v1/reports/impersonation", api_key=site_key)
    check(status == 401, "a site key cannot read the report")
    for query, field in [("min_count=0", "min_count"), ("min_count=abc", "min_count"), ("min_count=1000001", "min_count"),
                         ("from=2026-13-01", "from"), ("to=yesterday", "to"), ("from=2026-11-30&to=2026-11-01", "from"),
                         ("from=2024-01-01&to=2026-11-30", "from")]:
        status, _, body = server.call("GET", f"/v1/reports/impersonation?{query}", api_key=auditor["api_key"])
        check(status == 400 and body.get("error") == "invalid_parameter" and body.get("field") == field,
              f"{query} is refused as invalid_parameter {field}: {status} {body}")
    status, headers, report = server.call("GET", "/v1/reports/impersonation", api_key=auditor["api_key"])
    check(status == 200 and headers.get("Cache-Control") == "no-store", f"the report is 200 no-store: {status} {headers.get('Cache-Control')}")
    check(set(report) == {"from", "to", "min_count", "organizations", "residents", "sources"} and report.get("min_count") == 2,
          f"the report's members and default min_count: {sorted(report)}")
    check(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", report.get("to", "")) and report.get("from", "") < report.get("to", ""),
          f"the default window ends today: {report.get('from')} … {report.get('to')}")
    status, _, everything = server.call("GET", "/v1/reports/impersonation?min_count=1", api_key=auditor["api_key"])
    text = json.dumps(everything, ensure_ascii=False)
    leaked = [value for person in people for value in person if value and value in text]
    check(not leaked, f"the report holds no resident ID, name or phone ({leaked[:2]})")
    rows = everything.get("organizations", []) + everything.get("residents", []) + everything.get("sources", [])
    check(rows and all(REFERENCE.match(row.get("reference", "")) for row in rows), f"every row is named by a keyed reference: {rows[:2]}")
    sources = everything.get("sources", [])
    check(any(row["rejected"] >= 5 and row["subjects"] >= 2 for row in sources),
          f"the smoke test's own address is a source with many rejections: {sources[:3]}")
    residents = everything.get("residents", [])
    check(residents and all(row["name_mismatches"] + row["possession_failures"] >= 1 for row in residents),
          f"residents with name mismatches or failed possession checks: {residents[:2]}")
    check(stranger_reference is None or stranger_reference not in [row["reference"] for row in residents],
          "numbers the registry does not hold are not residents' name mismatches")
    for row in residents[:3] + everything.get("organizations", [])[:3]:
        entries = audit_rows(directory, "type = 'application.decided' AND subject = ?", (row["reference"],))
        check(entries, f"the reference {row['reference'][:12]}… leads to its decisions in the audit log")
    listed = server.command("reports", "impersonation", "--min-count", "1", "--from", everything.get("from", ""), "--to",
                            everything.get("to", ""))
    check(listed.returncode == 0 and json.loads(listed.stdout or "{}") == everything,
          f"idca reports impersonation prints the same document: {listed.stderr[:200]}")
    bad = server.command("reports", "impersonation", "--min-count", "0")
    check(bad.returncode != 0, "idca reports impersonation refuses --min-count 0")


def check_disclosure(server, directory, site, pseudonym, organization_pseudonym):
    """Lawful disclosure over the API with three auditors: A requests, A cannot approve, B approves, C
    may read the request but not the identity; A and B see it; every step is in the audit log."""
    keys = []
    for name in ("审计员 甲", "审计员 乙", "审计员 丙"):
        added = server.command("auditors", "add", "--name", name, "--json")
        keys.append(json.loads(added.stdout or "{}"))
        check(added.returncode == 0 and keys[-1].get("api_key", "").startswith("idca_ak_"), f"auditors add {name}")
    a, b, c = keys
    body = {"site": site["site_id"], "subject": pseudonym, "case": "（2026）京0105刑初123号"}
    status, headers, _ = server.call("POST", "/v1/disclosures", body)
    check(status == 401 and headers.get("WWW-Authenticate") == "Bearer", "a disclosure request needs an auditor key")
    status, _, _ = server.call("POST", "/v1/disclosures", body, api_key=site["api_key"])
    check(status == 401, "a site key cannot request a disclosure")
    for changed, status_expected, error in [({"case": "case 1"}, 400, "invalid_case"), ({"case": ""}, 400, "invalid_case"),
                                            ({"case": "x" * 65}, 400, "invalid_case"),
                                            ({"site": "site_aaaaaaaaaaaaaaaaaaaaaaaaaa"}, 404, "site_not_found"),
                                            ({"subject": "a" * 32}, 404, "subject_not_found"),
                                            ({"subject": "not-a-pseudonym"}, 404, "subject_not_found")]:
        status, _, refused = server.call("POST", "/v1/disclosures", {**body, **changed}, api_key=a["api_key"])
        check(status == status_expected and refused.get("error") == error, f"{changed} is {status_expected} {error}: {status} {refused}")
    status, _, refused = server.call("POST", "/v1/disclosures", raw=b'{"site": 1}', api_key=a["api_key"])
    check(status == 400, f"a malformed body is 400: {refused}")

    status, headers, request = server.call("POST", "/v1/disclosures", body, api_key=a["api_key"])
    identifier = request.get("id", "")
    check(status == 201 and headers.get("Location") == f"/v1/disclosures/{identifier}" and headers.get("Cache-Control") == "no-store",
          f"A's request is 201 with Location and no-store: {status} {headers.get('Location')}")
    check(request.get("state") == "requested" and request.get("requested_by") == a["auditor_id"] and "approved_by" not in request
          and request.get("subject") == pseudonym and request.get("case") == body["case"], f"the request as created: {request}")
    status, _, seen = server.call("GET", f"/v1/disclosures/{identifier}", api_key=c["api_key"])
    check(status == 200 and seen == request, f"any auditor reads the request's state: {seen}")
    status, _, refused = server.call("GET", f"/v1/disclosures/{identifier}/identity", api_key=a["api_key"])
    check(status == 409 and refused.get("error") == "disclosure_not_approved", f"no identity before approval: {status} {refused}")
    status, _, refused = server.call("POST", f"/v1/disclosures/{identifier}/approve", api_key=a["api_key"])
    check(status == 403 and refused.get("error") == "second_auditor_required", f"the requester cannot approve: {status} {refused}")
    status, headers, approved = server.call("POST", f"/v1/disclosures/{identifier}/approve", api_key=b["api_key"])
    check(status == 200 and approved.get("state") == "approved" and approved.get("approved_by") == b["auditor_id"]
          and approved.get("approved_at") and headers.get("Cache-Control") == "no-store", f"B approves: {status} {approved}")
    status, _, refused = server.call("POST", f"/v1/disclosures/{identifier}/approve", api_key=c["api_key"])
    check(status == 409 and refused.get("error") == "disclosure_already_approved", f"no second approval: {status} {refused}")
    status, _, refused = server.call("GET", f"/v1/disclosures/{identifier}/identity", api_key=c["api_key"])
    check(status == 403 and refused.get("error") == "not_a_party", f"a third auditor cannot see the identity: {status} {refused}")
    for who in (a, b):
        status, headers, identity = server.call("GET", f"/v1/disclosures/{identifier}/identity", api_key=who["api_key"])
        check(status == 200 and headers.get("Cache-Control") == "no-store"
              and identity == {"id": identifier, "subject_type": "individual", "resident_id": WITH_PHONE["resident_id"],
                               "name": WITH_PHONE["name"]}, f"a party sees the identity: {status} {identity}")
    status, _, refused = server.call("GET", f"/v1/disclosures/{identifier}/identity")
    check(status == 401, "the identity needs an auditor key")
    status, _, refused = server.call("GET", "/v1/disclosures/dis_aaaaaaaaaaaaaaaaaaaaaaaaaa", api_key=a["api_key"])
    check(status == 404 and refused.get("error") == "disclosure_not_found", f"an unknown request is 404: {refused}")
    status, _, refused = server.call("POST", "/v1/disclosures/nonsense/approve", api_key=b["api_key"])
    check(status == 404 and refused.get("error") == "disclosure_not_found", f"approving a malformed id is 404: {refused}")

    environment = {**os.environ, "IDCA_AUDITOR_KEY": c["api_key"]}
    shown = subprocess.run([server.idca, "disclosure", "status", identifier, "--json"], cwd=directory, capture_output=True, text=True,
                           timeout=60, env=environment)
    check(shown.returncode == 0 and json.loads(shown.stdout or "{}") == approved, f"idca disclosure status --json: {shown.stderr[:200]}")
    denied = subprocess.run([server.idca, "disclosure", "show", identifier, "--json"], cwd=directory, capture_output=True, text=True,
                            timeout=60, env=environment)
    check(denied.returncode != 0 and WITH_PHONE["name"] not in denied.stdout, "idca disclosure show refuses a third auditor")
    without = subprocess.run([server.idca, "disclosure", "status", identifier], cwd=directory, capture_output=True, text=True, timeout=60,
                             env={k: v for k, v in os.environ.items() if k != "IDCA_AUDITOR_KEY"})
    check(without.returncode != 0 and "IDCA_AUDITOR_KEY" in without.stderr + without.stdout, "the CLI needs IDCA_AUDITOR_KEY")

    if organization_pseudonym:
        status, _, request = server.call("POST", "/v1/disclosures", {**body, "subject": organization_pseudonym}, api_key=b["api_key"])
        check(status == 201 and request.get("subject_type") == "organization", f"an organization's pseudonym can be asked about: {request}")
        server.call("POST", f"/v1/disclosures/{request.get('id')}/approve", api_key=c["api_key"])
        status, _, identity = server.call("GET", f"/v1/disclosures/{request.get('id')}/identity", api_key=c["api_key"])
        check(status == 200 and identity.get("subject_type") == "organization" and identity.get("organization_name")
              and len(identity.get("resident_id", "")) == 18 and identity.get("name"),
              f"an organization's identity is its name and its operator: {status} {identity}")

    steps = audit_rows(directory, "type LIKE 'disclosure.%' AND object = ?", (identifier,))
    check([row[0] for row in steps] == ["disclosure.requested", "disclosure.approved", "disclosure.shown", "disclosure.shown"],
          f"requested, approved and each showing are audited: {[row[0] for row in steps]}")
    check(steps and "case=" in steps[0][5] and f"requested_by={a['auditor_id']}" in steps[1][5],
          f"the request's case and the approval's requester are in the details: {[row[5] for row in steps[:2]]}")
    check(not any(WITH_PHONE["resident_id"] in " ".join(row) or WITH_PHONE["name"] in " ".join(row) for row in steps),
          "the audit log holds no disclosed identity")


def check_rate_limit(server, directory):
    """A second server with a bucket of two: the third application from one address is 429 rate_limited
    with Retry-After, and only the first refusal of the run is audited, with the address as a keyed hash."""
    server.start("--address-burst", "2", "--address-per-minute", "1", log="serve-ratelimit.log")
    try:
        typo = json.load(open(os.path.join(directory, "var", "demo", "applications", "individual-typo-checksum.json")))
        answers = [server.call("POST", "/v1/applications", typo) for _ in range(4)]
        check([a[0] for a in answers] == [201, 201, 429, 429], f"a bucket of two: {[a[0] for a in answers]}")
        status, headers, body = answers[2]
        check(body.get("error") == "rate_limited" and headers.get("Retry-After", "").isdigit()
              and 1 <= int(headers.get("Retry-After", "0")) <= 60, f"rate_limited with Retry-After: {headers.get('Retry-After')} {body}")
        status, _, body = server.call("POST", "/v1/applications/app_aaaaaaaaaaaaaaaaaaaaaaaaaa/confirm", {"code": "123456"})
        check(status == 429 and body.get("error") == "rate_limited", f"confirm spends from the same bucket: {status} {body}")
    finally:
        code = server.stop()
    check(code == 0, f"the throttled server stops cleanly (got {code})")
    refused = audit_rows(directory, "type = 'budget.refused' AND reason = 'rate_limited'")
    check(len(refused) == 1 and refused[0][1] == "" and re.search(r"\bsource=[0-9a-f]{64}\b", refused[0][5])
          and "127.0.0.1" not in refused[0][5], f"one audited refusal per run, the address as a keyed hash: {refused}")
    source = re.search(r"\bsource=([0-9a-f]{64})\b", refused[0][5]).group(1) if refused else ""
    listed = server.command("reports", "impersonation", "--min-count", "1")
    check(source in [row["reference"] for row in json.loads(listed.stdout or "{}").get("sources", [])],
          "the audited source is the same reference as the report's")


def check_audit_after_stop(server, directory, auditor_checkpoint):
    """After a clean stop the head is signed, the chain verifies, and a cut-back log is caught."""
    verified = server.command("audit", "verify", "--json", "--checkpoint", auditor_checkpoint)
    report = json.loads(verified.stdout or "{}")
    check(verified.returncode == 0 and report.get("intact") is True, f"idca audit verify after the run: {verified.stdout} {verified.stderr}")
    database = os.path.join(directory, "var", "idca.sqlite")
    import sqlite3
    with sqlite3.connect(database) as connection:
        head = connection.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        signed = connection.execute("SELECT max(seq) FROM audit_checkpoints").fetchone()[0]
    check(head == signed, f"the server signed its final head at shutdown ({signed} of {head})")
    independent = subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "Audit", "verify_chain.py"), "--database", database,
                                  "--public-key", os.path.join(directory, "audit.pub.pem"), "--checkpoint", auditor_checkpoint, "--json"],
                                 capture_output=True, text=True, timeout=120)
    other = json.loads(independent.stdout or "{}")
    check(independent.returncode == 0 and other.get("head") == report.get("head"),
          f"the independent Python verifier agrees: {independent.stdout} {independent.stderr}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idca", required=True)
    idca = os.path.abspath(parser.parse_args().idca)
    with tempfile.TemporaryDirectory(prefix="idca-smoke-") as directory:
        server = Server(idca, directory)
        check(server.command("keys", "generate").returncode == 0, "keys generate")
        seeded = server.command("demo", "seed", "--residents", "2000", "--organizations", "200", "--traffic", "500", "--json")
        check(seeded.returncode == 0, f"demo seed: {seeded.stderr}")
        demo = json.loads(seeded.stdout)
        site = json.loads(server.command("sites", "add", "--name", "Smoke", "--license", "京ICP备12345678号", "--json").stdout)
        check(site["site_id"].startswith("site_") and site["api_key"].startswith("idca_sk_"), "sites add --json")
        samples = os.path.join(directory, "var", "demo", "applications")
        added = server.command("auditors", "add", "--name", "审计员 Smoke", "--json")
        auditor = json.loads(added.stdout)
        check(added.returncode == 0 and auditor["auditor_id"].startswith("aud_") and auditor["api_key"].startswith("idca_ak_"),
              "auditors add --json")
        subprocess.run(["openssl", "pkey", "-in", os.path.join(directory, "keys", "audit-signing.pem"), "-pubout",
                        "-out", os.path.join(directory, "audit.pub.pem")], check=True, capture_output=True)
        held = os.path.join(directory, "held-checkpoint.json")
        signed = server.command("audit", "checkpoint", "--output", held)
        check(signed.returncode == 0 and json.load(open(held))["sequence"] > 0, f"audit checkpoint --output: {signed.stderr}")
        check_imports(server, directory)
        check_operator_safety(server, directory)
        outbox = os.path.join(directory, "outbox", "sms.log")
        # A generous address budget: the whole run comes from 127.0.0.1 (check_rate_limit tests the default's behaviour).
        server.start("--sms-outbox", outbox, "--address-burst", "10000", "--address-per-minute", "10000")
        try:
            busy = server.command("serve", "--port", str(server.port))
            check(busy.returncode == 1 and "already in use" in busy.stderr, f"a busy port is a clear error: {busy.stderr}")
            status, _, health = server.call("GET", "/healthz")
            check(status == 200 and health == {"status": "ok"}, "healthz")
            status, headers, jwks = server.call("GET", "/.well-known/jwks.json")
            check(status == 200 and jwks["keys"][0]["kty"] == "OKP", "jwks")

            # The README walk-through: apply, get a token, verify it, verify again.
            valid = json.load(open(os.path.join(samples, "individual-valid.json")))
            status, headers, approved = server.call("POST", "/v1/applications", valid)
            check(status == 201 and approved["status"] == "approved", f"valid application approved: {approved}")
            check(headers.get("Location") == f"/v1/applications/{approved['application_id']}", "Location header")
            status, _, active = server.call("POST", "/v1/tokens/verify", {"token": approved["token"]}, demo["api_key"])
            check(status == 200 and active["active"] is True and len(active["subject"]) == 32, f"verify: {active}")
            status, _, used = server.call("POST", "/v1/tokens/verify", {"token": approved["token"]}, demo["api_key"])
            check(used == {"active": False, "reason": "token_already_used"}, f"verify again: {used}")
            status, _, again = server.call("GET", f"/v1/applications/{approved['application_id']}")
            check(status == 200 and "token" not in again and again["status"] == "approved", "GET application without the token")

            expected = {
                "individual-typo-checksum.json": "checksum", "individual-borrowed-name.json": "registry_mismatch",
                "individual-inactive.json": "registry_mismatch", "individual-lowercase-x.json": "lowercase_x",
                "organization-impersonation.json": "legal_representative_mismatch",
                "organization-stale-name.json": "organization_name_mismatch", "organization-valid.json": None,
            }
            for name, reason in expected.items():
                path = os.path.join(samples, name)
                if not os.path.exists(path):
                    continue
                status, _, result = server.call("POST", "/v1/applications", json.load(open(path)))
                check(status == 201 and result.get("reason") == reason, f"{name}: {result}")
            with_phone = os.path.join(samples, "individual-with-phone.json")
            check(os.path.exists(with_phone), "demo seed writes a sample with a phone on file")
            if os.path.exists(with_phone):
                status, _, result = server.call("POST", "/v1/applications", json.load(open(with_phone)))
                check(status == 201 and result.get("status") == "pending_possession"
                      and outbox_code(outbox, result.get("application_id"))[0] is not None,
                      f"individual-with-phone.json waits for the code in the outbox: {result}")

            status, _, organization = server.call("POST", "/v1/applications", json.load(open(os.path.join(samples, "organization-valid.json"))))
            status, _, verified = server.call("POST", "/v1/tokens/verify", {"token": organization["token"]}, site["api_key"])
            check(verified.get("subject_type") == "organization" and verified.get("organization_name"), f"organization verify: {verified}")
            organization_pseudonym = verified.get("subject")

            for raw, error in [(b"not json", "malformed_json"), (b'{"subject_type": "x"}', "invalid_subject_type"),
                               (b'{"subject_type": "individual"}', "missing_field")]:
                status, _, body = server.call("POST", "/v1/applications", raw=raw)
                check(status == 400 and body["error"] == error, f"400 {error}: {body}")
            pseudonym, redeemed = check_possession(server, outbox, approved["application_id"], site["api_key"])
            check_revocation(server, outbox, pseudonym, redeemed, site["api_key"], demo["api_key"])

            status, _, body = server.call("POST", "/v1/tokens/verify", {"token": "x"})
            check(status == 401 and body["error"] == "invalid_credentials", "401 without a key")
            status, _, body = server.call("POST", "/v1/tokens/verify", {"token": "a.b.c"}, site["api_key"])
            check(body == {"active": False, "reason": "malformed"}, f"malformed token: {body}")
            status, _, body = server.call("GET", "/v1/applications/app_aaaaaaaaaaaaaaaaaaaaaaaaaa")
            check(status == 404, "404 for an unknown application")
            status, _, metrics = server.call("GET", "/metrics")
            check(status == 200 and "idca_decisions_total" in metrics, "metrics")
            status, _, validated = server.call("POST", "/v1/validate", {"resident_id": " 11010519491231002x", "credit_code": "x"})
            check(status == 200 and validated["fields"]["resident_id"] == {"value": "11010519491231002X"}
                  and validated["fields"]["credit_code"]["reason"] == "length", f"validate: {validated}")
            status, _, reasons = server.call("GET", "/v1/reasons?lang=en")
            check(status == 200 and "checksum" in reasons["reasons"]["resident_id"], "reason texts")
            check_audit_and_statistics(server, directory, demo, auditor)
            stranger_reference = check_budget(server, directory)
            people = [line.split(",")[:2] for line in open(os.path.join(directory, "var", "demo", "residents.csv")).read().splitlines()[1:]]
            people += [[WITH_PHONE["resident_id"], WITH_PHONE["name"], PHONE], [STRANGER["resident_id"], STRANGER["name"]]]
            check_impersonation_report(server, directory, auditor, site["api_key"], people, stranger_reference)
            check_disclosure(server, directory, site, pseudonym, organization_pseudonym)
        finally:
            code = server.stop()
        check(code == 0, f"SIGTERM drains and exits 0 (got {code})")
        log = open(os.path.join(directory, "serve.log")).read()
        check("stopped" in log, "the server logged a clean stop")
        check_audit_after_stop(server, directory, held)
        people = [line.split(",")[:2] for line in open(os.path.join(directory, "var", "demo", "residents.csv")).read().splitlines()[1:]]
        people.append([WITH_PHONE["resident_id"], WITH_PHONE["name"], PHONE])
        leaked = [value for person in people for value in person if value in log]
        check(not leaked, f"no resident ID, name or phone in the server log ({leaked[:2]})")
        check_gateway_failure(server, directory)
        check_rate_limit(server, directory)
    print(f"smoke: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
