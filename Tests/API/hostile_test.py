"""Hostile requests against a live `idca serve`: what a fuzzer rarely builds on purpose.

usage: python3 Tests/API/hostile_test.py --idca PATH_TO_IDCA [--keep]

Starts its own server in a fresh temporary directory on 127.0.0.1 (a demo registry, a site, an
auditor, a dashboard session; address budgets raised as in Tests/API/fuzz_api.py). Then, for every
POST endpoint with a JSON body (`/v1/applications`, `…/confirm`, `/v1/tokens/verify`,
`/v1/validate`, `/v1/disclosures`), each with the credentials it needs so that the body is what is
judged, and for the dashboard's form posts:

- invalid UTF-8 (bad bytes, overlong forms, encoded surrogates, a cut-off sequence) in values and
  member names; NUL bytes, raw and escaped, inside strings and after the JSON text;
- deeply nested JSON: 8,000 levels (under the size limit), 33 levels in an ignored member (one over
  the documented 32), 32 levels (accepted), and 100,000 levels (over the size limit);
- huge numbers (1e400, -1e400, 1e-400, 20- and 30-digit integers) where strings are expected, as
  the whole body, and where integers are expected (query parameters);
- duplicate member names: plain, spelled with an escape, nested;
- 1 MB strings (`413 body_too_large`, also chunked, and refused before the whole body is sent),
  and the limit's edge (16,384 bytes are read, 16,385 are not), also on every other path;
- wrong content types, with a JSON body (read as JSON: the same answer as with
  `application/json`) and with a body of that type (`400 malformed_json`);
- disclosure case references longer than 64 code points, also when they are few graphemes;

and every method (GET HEAD POST PUT PATCH DELETE OPTIONS TRACE, and a made-up one) on every path
of Docs/API.openapi.yaml that does not declare it, plus a few protocol-level oddities (a 100 KB
URL, a NUL in a header, two Content-Lengths).

Every answer must come within 15 s, be a 4xx where the request is wrong (never a 5xx), carry
`X-Request-ID`, have the status and body the OpenAPI document gives (the JSON error shape
`{"error", "message"[, "field"]}` for errors), and echo no name or ID number sent. The server
must stay up (`/healthz` after each group), still decide a valid application at the end, stop
cleanly on SIGTERM, and have logged no 5xx and no personal data. Ends with
`hostile: N passed, M failed`; exits 0 only when nothing failed.
"""
import argparse, json, os, shutil, socket, sys, tempfile, time, traceback, urllib.parse

import yaml
from jsonschema import Draft202012Validator

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "Support"))
from fuzz_api import LiveCA, sign_in  # noqa: E402
from serving import Tally  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = yaml.safe_load(open(os.path.join(ROOT, "Docs", "API.openapi.yaml"), encoding="utf-8"))
LIMIT = 16 * 1024
MB = 1 << 20
TIMEOUT = 15
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "FROB"]
APPLICATION_ID = "app_" + "a" * 26
DISCLOSURE_ID = "dis_" + "a" * 26
PSEUDONYM = "a" * 32
tally = Tally()
check = tally.check


# ---------------------------------------------------------------------------------------------
# The document: which statuses an operation has, and whether a body matches the schema given.

def escape(part):
    return part.replace("~", "~0").replace("/", "~1")


def document_errors(method, template, status, content_type, body):
    """Where the answer departs from Docs/API.openapi.yaml ([] when it matches)."""
    operation = SPEC["paths"].get(template, {}).get(method.lower())
    if operation is None:
        return [f"{method} {template} is not in the document"]
    response = operation["responses"].get(str(status))
    if response is None:
        return [f"status {status} is not documented for {method} {template}"]
    pointer = f"#/paths/{escape(template)}/{method.lower()}/responses/{status}"
    while "$ref" in response:
        name = response["$ref"].split("/")[-1]
        pointer, response = f"#/components/responses/{name}", SPEC["components"]["responses"][name]
    content = response.get("content", {})
    if not content:
        return []
    media = [m for m in content if m.split(";")[0].strip() == content_type.split(";")[0].strip()]
    if not media:
        return [f"content type {content_type!r} is not documented for {status}"]
    if "json" not in media[0]:
        return []
    try:
        value = json.loads(body)
    except ValueError as error:
        return [f"the body is not JSON: {error}"]
    validator = Draft202012Validator({**SPEC, "$ref": f"{pointer}/content/{escape(media[0])}/schema"})
    return [error.message for error in validator.iter_errors(value)]


def documented_media(method, template, status):
    """The media types the document gives for this answer, or None when it does not list it."""
    response = SPEC["paths"].get(template, {}).get(method.lower(), {}).get("responses", {}).get(str(status))
    if response is None:
        return None
    while "$ref" in response:
        response = SPEC["components"]["responses"][response["$ref"].split("/")[-1]]
    return list(response.get("content", {}))


def error_shape(status, headers, body, codes=None):
    """Problems with a JSON error answer: the documented shape, and the code when `codes` is given."""
    if not headers.get("content-type", "").startswith("application/json"):
        return [f"content type {headers.get('content-type')!r}, not JSON"]
    try:
        value = json.loads(body)
    except ValueError:
        return [f"the body is not JSON: {body[:80]!r}"]
    validator = Draft202012Validator({**SPEC, "$ref": "#/components/schemas/Error"})
    problems = [error.message for error in validator.iter_errors(value)]
    if codes is not None and isinstance(value, dict) and value.get("error") not in codes:
        problems.append(f"error {value.get('error')!r}, expected {sorted(codes)}")
    return problems


# ---------------------------------------------------------------------------------------------
# Raw HTTP: bytes in, (status, headers, body) out, bounded in time.

class NoAnswer(Exception):
    pass


def read_response(connection, method, deadline):
    """Reads one HTTP/1.1 response from a socket: (status, headers with lower-case names, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        connection.settimeout(max(0.1, deadline - time.time()))
        try:
            chunk = connection.recv(65536)
        except socket.timeout:
            raise NoAnswer("no answer in time")
        except ConnectionResetError:
            raise NoAnswer("connection reset before an answer")
        if not chunk:
            raise NoAnswer(f"connection closed before an answer ({len(data)} bytes)")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        headers[name] = headers[name] + "\n" + value.strip() if name in headers else value.strip()
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return status, headers, b""
    if "chunked" in headers.get("transfer-encoding", ""):
        body = rest
        while not body.endswith(b"0\r\n\r\n"):
            connection.settimeout(max(0.1, deadline - time.time()))
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        decoded, index = b"", 0
        while True:
            size_end = body.index(b"\r\n", index)
            size = int(body[index:size_end].split(b";")[0], 16)
            if size == 0:
                return status, headers, decoded
            decoded += body[size_end + 2:size_end + 2 + size]
            index = size_end + 4 + size
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        connection.settimeout(max(0.1, deadline - time.time()))
        try:
            chunk = connection.recv(65536)
        except socket.timeout:
            raise NoAnswer("the body did not arrive in time")
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:length]


def exchange(port, method, target, body=None, headers=None, chunked=False, timeout=TIMEOUT, partial=None):
    """One request on a new connection. `partial`: send only this many body bytes (with the full
    Content-Length) and wait for the answer anyway, to see whether it comes before the rest."""
    headers = dict(headers or {})
    headers.setdefault("Host", f"127.0.0.1:{port}")
    if body is not None and not chunked:
        headers.setdefault("Content-Length", str(len(body)))
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    head = f"{method} {target} HTTP/1.1\r\n".encode("latin-1") if isinstance(target, str) else (
        method.encode() + b" " + target + b" HTTP/1.1\r\n")
    for name, value in headers.items():
        head += name.encode("latin-1") + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")) + b"\r\n"
    head += b"Connection: close\r\n\r\n"
    deadline = time.time() + timeout
    connection = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        connection.sendall(head)
        try:
            if body is not None and chunked:
                for start in range(0, len(body), 8192):
                    piece = body[start:start + 8192]
                    connection.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                connection.sendall(b"0\r\n\r\n")
            elif body is not None:
                connection.sendall(body if partial is None else body[:partial])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before it has read everything: read its answer
        return read_response(connection, method, deadline)
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------

class Hostile:
    def __init__(self, ca, person, session, csrf):
        self.ca, self.port = ca, ca.port
        self.name, self.resident_id = person
        self.secrets = [self.name, self.resident_id]
        self.session, self.csrf = session, csrf
        self.site_key, self.auditor_key = ca.site["api_key"], ca.auditor["api_key"]

    def send(self, what, method, template, target, body=None, headers=None, expect=None, codes=None, chunked=False,
             partial=None, documented=True, same_as=None, secrets=None):
        """One hostile request and its checks. `expect`: the status (or set of statuses) required;
        `codes`: the error codes allowed; `documented`: whether the answer must match the document
        for this operation; `same_as`: an earlier answer (status, error) this one must equal.
        Returns (status, error code, decoded JSON body) or None when there was no answer."""
        label = f"{what}: {method} {template}"
        try:
            status, headers, data = exchange(self.port, method, target, body, headers, chunked=chunked, partial=partial)
        except (NoAnswer, OSError) as error:
            check(False, f"{label}: {error}")
            return None
        text = data.decode("utf-8", errors="replace")
        check(status < 500, f"{label}: no 5xx (got {status}: {text[:200]})")
        if expect is not None:
            allowed = {expect} if isinstance(expect, int) else set(expect)
            check(status in allowed, f"{label}: status {status}, expected {sorted(allowed)}: {text[:200]}")
        check("x-request-id" in headers, f"{label}: X-Request-ID is present ({status})")
        error, value = None, None
        try:
            value = json.loads(data) if data else None
        except ValueError:
            pass
        if isinstance(value, dict):
            error = value.get("error")
        media = documented_media(method, template, status)
        if status >= 400 and method != "HEAD" and (media is None or any("json" in m for m in media)):
            problems = error_shape(status, headers, data, codes)
            check(not problems, f"{label}: the JSON error shape ({status}): {problems[:3]} {text[:200]}")
        if documented and status < 500 and not (status == 404 and error == "not_found"):
            problems = document_errors(method, template, status, headers.get("content-type", ""), data)
            check(not problems, f"{label}: matches the OpenAPI document ({status}): {problems[:3]} {text[:200]}")
        if same_as is not None:
            check((status, error) == same_as, f"{label}: answered like application/json {same_as}, got {(status, error)}")
        if status >= 300 or template == "/v1/applications":
            leaked = [secret for secret in (secrets if secrets is not None else self.secrets) if secret and secret in text]
            check(not leaked, f"{label}: the answer echoes no name or ID number ({leaked})")
        return status, error, value

    def alive(self, group):
        check(self.ca.process.poll() is None, f"after {group}: the server process is still running")
        check(self.ca.healthy(), f"after {group}: /healthz still answers 200")


# The JSON endpoints: how to reach the body checks, a body that is valid, and its string members.
def endpoints(test):
    auditor = {"Authorization": f"Bearer {test.auditor_key}"}
    return [
        {"template": "/v1/applications", "target": "/v1/applications", "headers": {},
         "body": {"subject_type": "individual", "name": test.name, "resident_id": test.resident_id}},
        {"template": "/v1/applications/{id}/confirm", "target": f"/v1/applications/{APPLICATION_ID}/confirm", "headers": {},
         "body": {"code": "123456"}},
        {"template": "/v1/tokens/verify", "target": "/v1/tokens/verify", "headers": {"Authorization": f"Bearer {test.site_key}"},
         "body": {"token": "eyJhbGciOiJFZERTQSJ9.e30.c2ln"}},
        {"template": "/v1/validate", "target": "/v1/validate", "headers": {},
         "body": {"name": test.name, "resident_id": test.resident_id}},
        {"template": "/v1/disclosures", "target": "/v1/disclosures", "headers": auditor,
         "body": {"site": test.ca.site["site_id"], "subject": PSEUDONYM, "case": "HOSTILE-1"}},
    ]


def encode(value):
    return json.dumps(value, ensure_ascii=False).encode()


def with_raw(body, member, raw):
    """The body's JSON with `member`'s string value replaced by raw bytes (between the quotes)."""
    marker = "\u2603MARK\u2603"
    text = encode({**body, member: marker})
    return text.replace(marker.encode(), raw)


def json_cases(test, endpoint):
    """(what, body bytes, content type, expectation) for one JSON endpoint."""
    body, template = endpoint["body"], endpoint["template"]
    member = next(iter(body)) if template != "/v1/applications" else "name"
    cases = []
    # Invalid UTF-8 in a value and in a member name; the JSON text is otherwise fine.
    for label, raw in [("invalid byte 0xff 0xfe", b"\xff\xfe"), ("overlong encoding of '/'", b"\xc0\xaf"),
                       ("UTF-8-encoded surrogate U+D800", b"\xed\xa0\x80"), ("cut-off sequence", b"ab\xe4\xb8"),
                       ("byte 0x80 alone", b"\x80"), ("code point over U+10FFFF", b"\xf4\x90\x80\x80")]:
        cases.append((f"invalid UTF-8 in a value ({label})", with_raw(body, member, raw), None, (400, {"malformed_json"})))
    cases.append(("invalid UTF-8 in a member name", encode(body)[:-1] + b', "\xff\xfe": "x"}', None, (400, {"malformed_json"})))
    cases.append(("a lone surrogate escape", with_raw(body, member, b"\\ud800"), None, (400, {"malformed_json"})))
    # NUL bytes: raw inside a string (JSON forbids it), after the text, and escaped (a legal string).
    cases.append(("a raw NUL byte inside a string", with_raw(body, member, b"ab\x00cd"), None, (400, {"malformed_json"})))
    cases.append(("a NUL byte after the JSON text", encode(body) + b"\x00", None, (400, {"malformed_json"})))
    cases.append(("a NUL byte before the JSON text", b"\x00" + encode(body), None, (400, {"malformed_json"})))
    cases.append(("an escaped NUL (\\u0000) inside a string", with_raw(body, member, b"ab\\u0000cd"), None, None))
    cases.append(("a member name with an escaped NUL", encode(body)[:-1] + b', "a\\u0000b": "x"}', None, None))
    # Nesting.
    cases.append(("8,000 levels of arrays as the body", b"[" * 8000 + b"]" * 8000, None, (400, {"malformed_json"})))
    cases.append(("8,000 levels of objects as the body", b'{"a":' * 2700 + b"1" + b"}" * 2700, None, (400, {"malformed_json"})))
    cases.append(("8,000 levels in an ignored member", encode(body)[:-1] + b', "deep": ' + b"[" * 8000 + b"]" * 8000 + b"}",
                  None, (400, {"malformed_json"})))
    cases.append(("33 levels of nesting (one over 32)", encode(body)[:-1] + b', "deep": ' + b"[" * 32 + b"]" * 32 + b"}",
                  None, (400, {"malformed_json"})))
    cases.append(("32 levels of nesting (the limit)", encode(body)[:-1] + b', "deep": ' + b"[" * 31 + b"]" * 31 + b"}",
                  None, "same"))
    cases.append(("100,000 levels of arrays", b"[" * 100_000 + b"]" * 100_000, None, (413, {"body_too_large"})))
    cases.append(("an unclosed 8,000-level nest", b"[" * 8000, None, (400, {"malformed_json"})))
    # Huge numbers where strings are expected, and as the whole body.
    for number in [b"1e400", b"-1e400", b"1e-400", b"12345678901234567890", b"-123456789012345678901234567890",
                   b"0.00000000000000000000000000000000000000000000001", b"1" * 400]:
        text = encode({**body, member: "\u2603"}).replace(b'"\xe2\x98\x83"', number)
        cases.append((f"the number {number[:24].decode()} for the string {member}", text, None, (400, {"invalid_type"}), member))
        cases.append((f"the number {number[:24].decode()} as the whole body", number, None, (400, {"invalid_type"})))
    cases.append(("a huge number in an ignored member", encode(body)[:-1] + b', "n": 1e400}', None, "same"))
    cases.append(("a number with a leading zero", encode(body)[:-1] + b', "n": 0123}', None, (400, {"malformed_json"})))
    cases.append(("NaN", encode(body)[:-1] + b', "n": NaN}', None, (400, {"malformed_json"})))
    cases.append(("Infinity", encode(body)[:-1] + b', "n": -Infinity}', None, (400, {"malformed_json"})))
    # Duplicate member names.
    first = encode({member: body[member]})[1:-1]
    cases.append(("a duplicate member, same value", encode(body)[:-1] + b", " + first + b"}", None, (400, {"malformed_json"})))
    cases.append(("a duplicate member, another value", encode(body)[:-1] + b", " + encode({member: "other"})[1:-1] + b"}",
                  None, (400, {"malformed_json"})))
    spelled = b'"' + "".join(f"\\u{ord(c):04x}" for c in member).encode() + b'"'
    cases.append(("a duplicate member spelled with escapes", encode(body)[:-1] + b", " + spelled + b': "other"}', None,
                  (400, {"malformed_json"})))
    cases.append(("a duplicate member inside a nested object", encode(body)[:-1] + b', "x": {"a": 1, "a": 2}}', None,
                  (400, {"malformed_json"})))
    if template == "/v1/applications":
        organization = {"subject_type": "organization", "organization_name": "某公司", "credit_code": "91350100M000100Y43",
                        "legal_representative": "李四", "operator": {"name": test.name, "resident_id": test.resident_id}}
        text = encode(organization)[:-2] + b', "name": "other"}}'
        cases.append(("a duplicate member inside operator", text, None, (400, {"malformed_json"})))
    # Sizes.
    cases.append(("a 1 MB string", encode({**body, member: "x" * MB}), None, (413, {"body_too_large"})))
    cases.append(("a 1 MB string of multi-byte characters", encode({**body, member: "名" * (MB // 3)}), None, (413, {"body_too_large"})))
    padding = LIMIT - len(encode({**body, "pad": ""}))
    cases.append(("a body of exactly 16,384 bytes", encode({**body, "pad": "x" * padding}), None, "same"))
    cases.append(("a body of 16,385 bytes", encode({**body, "pad": "x" * (padding + 1)}), None, (413, {"body_too_large"})))
    cases.append(("an empty body", b"", None, (400, {"malformed_json"})))
    cases.append(("whitespace only", b" \r\n\t ", None, (400, {"malformed_json"})))
    # Wrong content types: a JSON body is read as JSON whatever its label; a body of that type is not JSON.
    for content_type in ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                         "application/json; charset=iso-8859-1", "image/png", ""]:
        cases.append((f"a JSON body labelled {content_type or 'with no Content-Type'}", encode(body), content_type, "same"))
    form = urllib.parse.urlencode({k: v for k, v in body.items()}).encode()
    cases.append(("a form body (application/x-www-form-urlencoded)", form, "application/x-www-form-urlencoded", (400, {"malformed_json"})))
    cases.append(("an XML body (application/xml)", b'<?xml version="1.0"?><a><name>x</name></a>', "application/xml", (400, {"malformed_json"})))
    cases.append(("a multipart body", b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--x--\r\n',
                  "multipart/form-data; boundary=x", (400, {"malformed_json"})))
    cases.append(("a Latin-1 body (charset=iso-8859-1)", with_raw(body, member, "café".encode("latin-1")),
                  "application/json; charset=iso-8859-1", (400, {"malformed_json"})))
    cases.append(("a UTF-16 body", json.dumps(body).encode("utf-16"), "application/json; charset=utf-16", (400, {"malformed_json"})))
    cases.append(("a UTF-8 byte order mark before the JSON", b"\xef\xbb\xbf" + encode(body), None, (400, {"malformed_json"})))
    cases.append(("two JSON texts", encode(body) + encode(body), None, (400, {"malformed_json"})))
    return cases


def run_json_endpoints(test):
    for endpoint in endpoints(test):
        template, target, base_headers = endpoint["template"], endpoint["target"], endpoint["headers"]
        answer = test.send("a valid body (baseline)", "POST", template, target, encode(endpoint["body"]),
                           {**base_headers, "Content-Type": "application/json"})
        baseline = answer[:2] if answer else None
        for case in json_cases(test, endpoint):
            what, body, content_type, expectation = case[:4]
            field = case[4] if len(case) > 4 else None
            headers = dict(base_headers)
            if content_type is None:
                headers["Content-Type"] = "application/json"
            elif content_type:
                headers["Content-Type"] = content_type
            if expectation == "same":
                test.send(what, "POST", template, target, body, headers, same_as=baseline)
            elif expectation is None:
                test.send(what, "POST", template, target, body, headers)
            else:
                status, codes = expectation
                answer = test.send(what, "POST", template, target, body, headers, expect=status, codes=codes)
                if field and answer and answer[0] == 400:
                    check(answer[2].get("field") == field, f"{what}: POST {template} names the field {field}: {answer[2]}")
        # Oversized bodies, chunked and refused before the whole body is sent.
        big = encode({**endpoint["body"], "pad": "x" * MB})
        test.send("a chunked 1 MB body", "POST", template, target, big, {**base_headers, "Content-Type": "application/json"},
                  chunked=True, expect=413, codes={"body_too_large"})
        test.send("a 1 MB body refused before it is all sent (20 KB sent, 1 MB announced)", "POST", template, target, big,
                  {**base_headers, "Content-Type": "application/json"}, partial=20_000, expect=413, codes={"body_too_large"})
        test.alive(f"the hostile bodies of POST {template}")


def run_case_references(test):
    """The disclosure case reference is 1–64 characters, and the document's schema counts them as
    JSON Schema does, in code points (`maxLength: 64`): a reference that is one "character" to a
    grapheme count but hundreds of code points must be refused like any other over-long one."""
    headers = {"Authorization": f"Bearer {test.auditor_key}", "Content-Type": "application/json"}
    for what, case in [("65 code points, 65 characters", "C" * 65),
                       ("65 graphemes of e + U+0301 (130 code points)", "e\u0301" * 65),
                       ("64 graphemes of e + U+0301 (128 code points)", "e\u0301" * 64),
                       ("one grapheme of 1,001 code points (a + 1,000 U+0301)", "a" + "\u0301" * 1000)]:
        test.send(f"a case reference of {what}", "POST", "/v1/disclosures", "/v1/disclosures",
                  encode({"site": test.ca.site["site_id"], "subject": PSEUDONYM, "case": case}), headers,
                  expect=400, codes={"invalid_case"})
    test.send("a case reference of 64 code points", "POST", "/v1/disclosures", "/v1/disclosures",
              encode({"site": test.ca.site["site_id"], "subject": PSEUDONYM, "case": "C" * 64}), headers,
              expect=404, codes={"subject_not_found"})
    test.alive("the case references")


def run_forms(test):
    """The dashboard's form posts: sign-in (double-submit CSRF, no session), and sign-out and the
    chain check with a live session but never its CSRF token (so that the session survives)."""
    token = "hostile-signin-token"
    signin_headers = {"Cookie": f"idca_signin={token}", "Content-Type": "application/x-www-form-urlencoded"}
    session_headers = {"Cookie": f"idca_auditor={test.session}", "Content-Type": "application/x-www-form-urlencoded"}
    secrets = test.secrets + [test.auditor_key]

    def signin(fields):
        return b"signin_csrf=" + token.encode() + b"&api_key=" + fields

    forms = [
        ("invalid UTF-8 in the key (raw)", signin(b"idca_ak_\xff\xfe"), {401}),
        ("invalid UTF-8 in the key (percent-encoded)", signin(b"idca_ak_%ff%fe%c0%af"), {401}),
        ("invalid UTF-8 in a field name", b"\xff\xfe=1&" + signin(b"x"), {401}),
        ("a raw NUL in the key", signin(b"idca_ak_\x00x"), {401}),
        ("a percent-encoded NUL in the key", signin(b"%00"), {401}),
        ("a NUL in the CSRF field", b"signin_csrf=" + token.encode() + b"%00&api_key=x", {403}),
        ("100,000 levels of JSON as the form", b"[" * 100_000 + b"]" * 100_000, {413}),
        ("8,000 levels of JSON as the form", b"[" * 8000 + b"]" * 8000, {403}),
        ("1e400 as the key", signin(b"1e400"), {401}),
        ("a 30-digit number as the key", signin(b"123456789012345678901234567890"), {401}),
        ("the CSRF field twice, the second wrong", b"signin_csrf=" + token.encode() + b"&signin_csrf=wrong&api_key=x", {401}),
        ("the CSRF field twice, the first wrong", b"signin_csrf=wrong&signin_csrf=" + token.encode() + b"&api_key=x", {403}),
        ("the key twice", signin(b"x&api_key=y"), {401}),
        ("a 1 MB key", signin(b"x" * MB), {413}),
        ("a form of exactly 16,384 bytes", signin(b"x" * (LIMIT - len(signin(b"")))), {401}),
        ("a form of 16,385 bytes", signin(b"x" * (LIMIT - len(signin(b"")) + 1)), {413}),
        ("a malformed percent escape", signin(b"%zz%4"), {401}),
        ("no '=' at all", b"signin_csrf", {403}),
        ("10,000 '&'", b"&" * 10_000 + signin(b"x"), {401}),
    ]
    for what, body, statuses in forms:
        test.send(f"sign-in: {what}", "POST", "/auditor/sign-in", "/auditor/sign-in", body, signin_headers, expect=statuses,
                  secrets=secrets)
    test.send("sign-in: a JSON body (application/json)", "POST", "/auditor/sign-in", "/auditor/sign-in",
              encode({"signin_csrf": token, "api_key": "x"}), {**signin_headers, "Content-Type": "application/json"},
              expect=403, codes={"csrf_token_invalid"})
    test.send("sign-in: a multipart body", "POST", "/auditor/sign-in", "/auditor/sign-in",
              b'--x\r\nContent-Disposition: form-data; name="signin_csrf"\r\n\r\n' + token.encode() + b"\r\n--x--\r\n",
              {**signin_headers, "Content-Type": "multipart/form-data; boundary=x"}, expect=403, codes={"csrf_token_invalid"})
    test.send("sign-in: a chunked 1 MB form", "POST", "/auditor/sign-in", "/auditor/sign-in", signin(b"x" * MB), signin_headers,
              chunked=True, expect=413, codes={"body_too_large"})
    test.send("sign-in: a cookie with invalid UTF-8", "POST", "/auditor/sign-in", "/auditor/sign-in", b"signin_csrf=\xff&api_key=x",
              {**signin_headers, "Cookie": b"idca_signin=\xff"}, expect={401, 403})

    for template in ["/auditor/sign-out", "/auditor/audit/verify"]:
        for what, body, statuses in [
            ("invalid UTF-8 in the CSRF field", b"csrf=\xff\xfe\xc0\xaf", {403}),
            ("a NUL in the CSRF field", b"csrf=%00\x00", {403}),
            ("1e400 as the CSRF field", b"csrf=1e400", {403}),
            ("the CSRF field twice, both wrong", b"csrf=a&csrf=b", {403}),
            ("100,000 levels of JSON as the form", b"[" * 100_000 + b"]" * 100_000, {413}),
            ("a 1 MB CSRF field", b"csrf=" + b"x" * MB, {413}),
            ("a JSON body", encode({"csrf": "x"}), {403}),
        ]:
            test.send(f"{template}: {what}", "POST", template, template, body, session_headers, expect=statuses, secrets=secrets)
        test.send(f"{template}: a session cookie with invalid UTF-8", "POST", template, template, b"csrf=x",
                  {**session_headers, "Cookie": b"idca_auditor=\xff\xfex"}, expect=401, codes={"not_signed_in"})
        test.send(f"{template}: a 10 KB session cookie", "POST", template, template, b"csrf=x",
                  {**session_headers, "Cookie": "idca_auditor=" + "x" * 10_000}, expect=401, codes={"not_signed_in"})
    test.alive("the hostile forms")
    # The session survived all of it.
    status, _, _ = test.ca.request("GET", "/auditor/export?format=json", headers={"Cookie": f"idca_auditor={test.session}"})
    check(status == 200, f"the dashboard session still works after the hostile forms ({status})")


def run_query_numbers(test):
    """Huge numbers and odd bytes where query parameters expect integers, dates or words."""
    auditor = {"Authorization": f"Bearer {test.auditor_key}"}
    site = {"Authorization": f"Bearer {test.site_key}"}
    session = {"Cookie": f"idca_auditor={test.session}"}
    numbers = ["1e400", "-1e400", "12345678901234567890", "-12345678901234567890", "9223372036854775808",
               "-9223372036854775809", "0x10", "1.5", "%00", "%ff", "%D9%A1%D9%A2", "%201", "1%00", ""]
    for template, parameter, headers in [("/v1/audit/entries", "after", auditor), ("/v1/audit/entries", "limit", auditor),
                                         ("/v1/sites/me/revocations", "since", site), ("/v1/sites/me/revocations", "limit", site),
                                         ("/v1/statistics/applications", "min_count", auditor),
                                         ("/v1/reports/impersonation", "min_count", auditor)]:
        for number in numbers:
            test.send(f"{parameter}={number}", "GET", template, f"{template}?{parameter}={number}", headers=headers,
                      expect=400, codes={"invalid_parameter"})
        test.send(f"{parameter}=9223372036854775807 (Int64.max)", "GET", template, f"{template}?{parameter}=9223372036854775807",
                  headers=headers, expect={200, 400})
    for template, headers in [("/v1/statistics/applications", auditor), ("/v1/reports/impersonation", auditor),
                              ("/auditor/export", session)]:
        for query in ["from=99999999999999-01-01", "to=99999999999999-12-31", "from=-001-01-01", "from=2026-02-30",
                      "from=0000-01-01&to=0000-12-31", "from=9999-12-31&to=9999-12-31", "from=2026-01-01%00", "from=%ff%fe",
                      "group_by=" + "subject_type," * 500, "period=" + "x" * 5000, "format=%00"]:
            test.send(f"?{query[:40]}", "GET", template, f"{template}?{query}", headers=headers, expect={200, 400})
    for target in ["/?lang=%00&site=%ff%fe", "/?site=%22%3E%3Cscript%3Ealert(1)%3C/script%3E", "/v1/reasons?lang=%ff",
                   "/auditor?from=%00&group_by=%ff&site=" + "x" * 5000]:
        template = target.split("?")[0]
        test.send(f"odd query {target[:40]}", "GET", template, target, expect=200)
    _, _, page = test.ca.request("GET", "/?site=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    check(b"<script>alert(1)" not in page, "the applicant page escapes a hostile site parameter")
    test.alive("the hostile query parameters")


def run_oversized_anywhere(test):
    """A body over 16 KiB is refused with 413 on any path and method, before the credentials."""
    body = b"x" * (LIMIT + 1)
    for template, item in SPEC["paths"].items():
        method = next(m.upper() for m in ("get", "post") if m in item)
        test.send("a 16,385-byte body", method, template, concrete(template), body, {"Content-Type": "application/json"},
                  expect=413, codes={"body_too_large"}, documented=False)
    test.send("a 16,385-byte body", "DELETE", "/nowhere", "/nowhere", body, expect=413, codes={"body_too_large"}, documented=False)
    test.alive("oversized bodies on every path")


def concrete(template):
    return (template.replace("{pseudonym}", PSEUDONYM)
            .replace("/v1/disclosures/{id}", f"/v1/disclosures/{DISCLOSURE_ID}")
            .replace("{id}", APPLICATION_ID))


def run_methods(test):
    """Every method the document does not declare, on every path it lists: 404 `not_found`."""
    for template, item in SPEC["paths"].items():
        for method in METHODS:
            if method.lower() in item:
                continue
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            if method == "HEAD":
                # RFC 9110 wants HEAD wherever GET is; the document does not promise it (yet), so either
                # the GET answer's status without its body, or 404 like any undeclared method.
                test.send("an undeclared method", method, template, concrete(template),
                          expect={200, 401, 404} if "get" in item else 404, documented=False)
                continue
            test.send("an undeclared method", method, template, concrete(template), body,
                      {"Content-Type": "application/json"} if body else None,
                      expect=404 if method != "FROB" else range(400, 500), codes={"not_found"} if method != "FROB" else None,
                      documented=False)
    test.alive("every method on every path")


def run_protocol(test):
    """Protocol-level oddities: a clear 4xx (the HTTP parser's), and the server keeps serving."""
    for what, raw_target, headers in [
        ("a 100 KB URL", "/v1/reasons?lang=" + "x" * 100_000, None),
        ("a NUL in a header value", "/healthz", {"X-Test": b"a\x00b"}),
        ("a control character in a cookie", "/auditor", {"Cookie": b"idca_auditor=\x01x"}),
        ("a 100 KB header", "/healthz", {"X-Big": "x" * 100_000}),
        ("a 60 KB bearer key", "/v1/audit/entries", {"Authorization": "Bearer " + "k" * 60_000}),
        ("a 60 KB session cookie", "/auditor/export", {"Cookie": "idca_auditor=" + "x" * 60_000}),
        ("200 headers", "/healthz", {f"X-H{index}": "x" for index in range(200)}),
        ("invalid UTF-8 in the path", b"/v1/applications/\xff\xfe", None),
        ("a NUL in the path", b"/v1/applications/app_\x00", None),
    ]:
        label = f"protocol: {what}"
        try:
            status, response_headers, data = exchange(test.port, "GET", raw_target, headers=headers)
            check(400 <= status < 500, f"{label}: a 4xx (got {status})")
        except (NoAnswer, OSError) as error:
            check(False, f"{label}: {error}")
    for what, head in [("two different Content-Lengths", {"Content-Length": "2\r\nContent-Length: 7"}),
                       ("a 25-digit Content-Length", {"Content-Length": "9" * 25}),
                       ("a negative Content-Length", {"Content-Length": "-1"})]:
        try:
            status, _, _ = exchange(test.port, "POST", "/v1/validate", b"{}", head)
            check(400 <= status < 500, f"protocol: {what}: a 4xx (got {status})")
        except (NoAnswer, OSError) as error:
            check(False, f"protocol: {what}: {error}")
    test.send("percent-encoded invalid UTF-8 and NUL in a path parameter", "GET", "/v1/applications/{id}",
              "/v1/applications/app_%00%ff%fe", expect=404, codes={"application_not_found"})
    test.send("a 10,000-character path parameter", "GET", "/v1/disclosures/{id}", "/v1/disclosures/" + "d" * 10_000,
              headers={"Authorization": f"Bearer {test.auditor_key}"}, expect=404, codes={"disclosure_not_found"})
    test.send("a bearer key with invalid UTF-8", "GET", "/v1/audit/entries", "/v1/audit/entries",
              headers={"Authorization": b"Bearer idca_ak_\xff\xfe"}, expect=401, codes={"invalid_credentials"})
    test.send("a 10 KB bearer key", "POST", "/v1/tokens/verify", "/v1/tokens/verify", b'{"token":"x"}',
              {"Authorization": "Bearer " + "k" * 10_000, "Content-Type": "application/json"}, expect=401,
              codes={"invalid_credentials"})
    test.alive("the protocol oddities")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idca", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the working directory (server log)")
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="idca-hostile-")
    ca = LiveCA(os.path.abspath(arguments.idca), directory)
    started = time.time()
    try:
        ca.seed(residents=200, organizations=20, traffic=0)
        rows = [line.split(",") for line in open(os.path.join(directory, "var", "demo", "residents.csv"), encoding="utf-8").read().splitlines()[1:]]
        person = next(row for row in rows if row[2] == "active" and (len(row) < 4 or row[3] == ""))[:2]  # no phone: decided at once
        ca.start()
        session, csrf = sign_in(ca, ca.auditor["api_key"])
        test = Hostile(ca, (person[1], person[0]), session, csrf)
        run_json_endpoints(test)
        run_case_references(test)
        run_forms(test)
        run_query_numbers(test)
        run_methods(test)
        run_oversized_anywhere(test)
        run_protocol(test)
        # Still serving: a valid application is decided, and the server stops cleanly.
        status, _, answer = ca.call("POST", "/v1/applications", ca.sample("individual-valid.json"))
        check(status == 201 and answer.get("status") == "approved", f"a valid application is still approved at the end: {status} {answer}")
        code = ca.stop()
        check(code == 0, f"the server stops cleanly on SIGTERM after it all (exit {code})")
        logged = ca.unexpected_failures()
        check(not logged, f"the server logged no 5xx and no unexpected failure: {logged[:3]}")
        log = open(ca.log.name, encoding="utf-8", errors="replace").read()
        check(person[0] not in log and person[1] not in log, "the server log holds none of the names and ID numbers sent")
    except Exception as error:  # the run cannot go on (the server died, a fixture step failed): say so, count it
        traceback.print_exc()
        check(False, f"the run stopped early: {type(error).__name__}: {error}")
    finally:
        ca.stop()
        if arguments.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"({time.time() - started:.0f} s)")
    print(f"hostile: {tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
