"""Clients that try to exhaust the server cost it a bounded amount and do not block anyone else.

usage: python3 Tests/Reliability/exhaustion_test.py --idca PATH_TO_IDCA

Starts `idca serve` on loopback (a temporary working directory with demo data) with short timeouts so
the run is quick — `--idle-timeout 8 --request-timeout 3 --max-connections 1500` — and checks, each
against its twin that must be accepted:

1. Oversized bodies: a declared 1 GB body is answered 413 `body_too_large` at once, before the body is
   sent, and the connection is closed (the server does not read on); a chunked body is refused as soon
   as it passes 16 KiB. A body of exactly 16 KiB is read and answered normally.
2. Slow clients: a request head trickled a byte at a time (slowloris) is closed at the idle timeout; a
   body trickled slowly is closed at the request timeout; while 100 of each are in progress, ordinary
   requests are answered at once. A client that is merely slow but within both limits is answered.
3. Idle connections: 1,000 idle connections are held with bounded memory and descriptors while others
   are served, and all are closed at the idle timeout. Beyond the connection limit (3,000 at once
   against 1,500) the server holds at most the limit open, stays up, and serves again once the idle
   ones time out.
4. Oversized heads: a 20 KiB header line is refused with a 4xx, never a 5xx.

Every bound is checked from the server's own /proc entry (open descriptors, resident memory). Ends
with `exhaustion: N passed, M failed`; exits 0 only when nothing failed.
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from serving import Tally, announced_port  # noqa: E402

IDLE, REQUEST, MAXIMUM = 8, 3, 1500
LIMIT = 16 * 1024
tally = Tally()
check = tally.check


class Server:
    def __init__(self, idca, directory):
        self.idca, self.directory = idca, directory
        subprocess.run([idca, "keys", "generate"], cwd=directory, check=True, capture_output=True, timeout=120)
        subprocess.run([idca, "demo", "seed"], cwd=directory, check=True, capture_output=True, timeout=300)
        self.log = open(os.path.join(directory, "serve.log"), "w+")
        environment = dict(os.environ, IDCA_ADDRESS_BURST="100000", IDCA_ADDRESS_PER_MINUTE="100000")
        self.process = subprocess.Popen(
            [idca, "serve", "--port", "0", "--idle-timeout", str(IDLE), "--request-timeout", str(REQUEST),
             "--max-connections", str(MAXIMUM)], cwd=directory, stderr=self.log, stdout=subprocess.DEVNULL, env=environment)
        self.port = announced_port(self.log, self.process, 120)
        if self.port is None:
            raise SystemExit("the server did not start; see " + self.log.name)

    def descriptors(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def resident_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

    def connect(self, timeout=10):
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def read_answer(connection, deadline=10):
    """Everything the server sends until it closes the connection or `deadline` seconds pass."""
    data, end = b"", time.time() + deadline
    connection.settimeout(0.5)
    while time.time() < end:
        try:
            chunk = connection.recv(65536)
        except socket.timeout:
            if b"\r\n\r\n" in data and len(data.split(b"\r\n\r\n", 1)[1]) >= content_length(data):
                return data, False
            continue
        except ConnectionError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def content_length(data):
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def status_of(data):
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def body_of(data):
    try:
        return json.loads(data.split(b"\r\n\r\n", 1)[1])
    except (IndexError, ValueError):
        return None


def server_ends(server_port, client_ports):
    """How many established TCP connections the server holds to `client_ports` (/proc/net/tcp)."""
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state == "01" and int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) in client_ports:
                count += 1
    return count


def quick_request(server, path="/healthz"):
    """Seconds a fresh connection takes to get an answer to GET `path`, and the status."""
    start = time.time()
    try:
        connection = server.connect(timeout=30)
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: idca\r\n\r\n".encode())
        data, _ = read_answer(connection, deadline=30)
        connection.close()
        return time.time() - start, status_of(data)
    except OSError:
        return time.time() - start, None


def still_writable(connection, total=4 * 1024 * 1024):
    """Whether `total` more bytes can be sent: false once the server has closed the connection."""
    try:
        connection.settimeout(5)
        for _ in range(total // 65536):
            connection.sendall(b"a" * 65536)
        return True
    except OSError:
        return False


def oversized_bodies(server):
    head = (b"POST /v1/applications HTTP/1.1\r\nHost: idca\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n")
    connection = server.connect()
    start = time.time()
    connection.sendall(head)
    data, closed = read_answer(connection)
    check(status_of(data) == 413 and (body_of(data) or {}).get("error") == "body_too_large",
          f"a declared 1 GB body is answered 413 body_too_large, not {data[:120]!r}")
    check(time.time() - start < 2, f"the 413 comes before the body is sent ({time.time() - start:.2f} s)")
    check(closed or not still_writable(connection), "after the 413 the connection is closed: the server does not read on")
    connection.close()

    connection = server.connect()
    connection.sendall(b"POST /v1/validate HTTP/1.1\r\nHost: idca\r\nContent-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n")
    sent = 0
    try:
        for _ in range(64):
            connection.sendall(b"1000\r\n" + b" " * 4096 + b"\r\n")
            sent += 4096
    except OSError:
        pass
    data, closed = read_answer(connection)
    check(status_of(data) == 413, f"a chunked body past 16 KiB is answered 413, not {data[:120]!r}")
    check(closed, "and its connection is closed")
    connection.close()

    # The accepted twin: exactly 16 KiB (a real request padded with spaces) is read and decided.
    document = json.dumps({"resident_id": "11010519491231002X"})
    body = (document[:-1] + " " * (LIMIT - len(document)) + "}").encode()
    connection = server.connect()
    connection.sendall(b"POST /v1/validate HTTP/1.1\r\nHost: idca\r\nContent-Type: application/json\r\n"
                       + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    data, _ = read_answer(connection)
    check(len(body) == LIMIT and status_of(data) == 200, f"a body of exactly 16 KiB is answered 200, not {data[:200]!r}")
    connection.close()
    over = body[:-1] + b" }"
    connection = server.connect()
    connection.sendall(b"POST /v1/validate HTTP/1.1\r\nHost: idca\r\nContent-Type: application/json\r\n"
                       + f"Content-Length: {len(over)}\r\n\r\n".encode() + over)
    data, _ = read_answer(connection)
    check(status_of(data) == 413, f"one byte more is 413, not {data[:120]!r}")
    connection.close()


def trickle(server, prefix, payload, interval, outcome):
    """Sends `prefix` at once, then `payload` a byte every `interval` seconds; records how long the
    server let it go on and whether it answered."""
    start = time.time()
    connection = server.connect(timeout=30)
    try:
        connection.sendall(prefix)
        for byte in payload:
            connection.sendall(bytes([byte]))
            time.sleep(interval)
        data, _ = read_answer(connection, deadline=10)
        outcome.append(("answered", time.time() - start, status_of(data)))
    except OSError:
        outcome.append(("closed", time.time() - start, None))
    finally:
        connection.close()


def slow_clients(server):
    slow_heads, slow_bodies = [], []
    threads = [threading.Thread(target=trickle, args=(server, b"", b"GET /healthz HTTP/1.1\r\nHost: idca\r\nX-Pad: " + b"a" * 200,
                                                      0.1, slow_heads)) for _ in range(100)]
    threads += [threading.Thread(target=trickle, args=(server, b"POST /v1/validate HTTP/1.1\r\nHost: idca\r\n"
                                                       b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n",
                                                       b" " * 200, 0.1, slow_bodies)) for _ in range(100)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    waits = []
    while any(thread.is_alive() for thread in threads) and len(waits) < 40:
        waits.append(quick_request(server))
        time.sleep(0.1)
    for thread in threads:
        thread.join(60)
    check(all(status == 200 for _, status in waits) and max(seconds for seconds, _ in waits) < 1.0,
          f"while 200 slow clients trickle, others are answered at once (slowest {max(s for s, _ in waits):.2f} s of {len(waits)})")
    head_times = [seconds for kind, seconds, _ in slow_heads if kind == "closed"]
    check(len(head_times) == 100 and all(IDLE - 0.5 <= seconds <= IDLE + 2 for seconds in head_times),
          f"a head trickled a byte at a time is closed at the idle timeout ({IDLE} s): "
          f"{len(head_times)} closed, {min(head_times, default=0):.1f}–{max(head_times, default=0):.1f} s")
    body_times = [seconds for kind, seconds, _ in slow_bodies if kind == "closed"]
    check(len(body_times) == 100 and all(REQUEST - 0.5 <= seconds <= REQUEST + 2 for seconds in body_times),
          f"a body trickled slowly is closed at the request timeout ({REQUEST} s): "
          f"{len(body_times)} closed, {min(body_times, default=0):.1f}–{max(body_times, default=0):.1f} s")
    # The accepted twin: slow, but within both limits.
    patient = []
    trickle(server, b"POST /v1/validate HTTP/1.1\r\nHost: idca\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n",
            json.dumps({"resident_id": "11010519491231002X"}).ljust(50).encode(), 0.02, patient)
    check(patient and patient[0][0] == "answered" and patient[0][2] == 200, f"a slow body within the limits is answered 200: {patient}")


def idle_connections(server):
    descriptors, memory = server.descriptors(), server.resident_kib()
    held = []
    for _ in range(1000):
        held.append(server.connect())
    time.sleep(0.5)
    seconds, status = quick_request(server)
    check(status == 200 and seconds < 1.0, f"with 1,000 idle connections open, a request is answered at once ({seconds:.2f} s)")
    # Held = accepted by the server: the kernel's table of established connections, counted from the
    # server's end, for exactly these clients (the descriptor count alone moves with unrelated files).
    ports = {connection.getsockname()[1] for connection in held}
    settle = time.time() + 5
    while server_ends(server.port, ports) < 1000 and time.time() < settle:
        time.sleep(0.1)
    accepted = server_ends(server.port, ports)
    check(accepted == 1000, f"all 1,000 idle connections are held by the server ({accepted} established)")
    grown_descriptors, grown_memory = server.descriptors() - descriptors, server.resident_kib() - memory
    print(f"  1,000 idle connections: +{grown_descriptors} descriptors, +{grown_memory / 1024:.1f} MiB resident "
          f"({grown_memory * 1024 / 1000:.0f} bytes each)")
    check(1000 - 5 <= grown_descriptors <= 1000 + 5, f"one descriptor each (+{grown_descriptors})")
    check(grown_memory < 64 * 1024, f"1,000 idle connections cost under 64 MiB (+{grown_memory / 1024:.1f} MiB)")
    time.sleep(IDLE + 2)
    closed = 0
    for connection in held:
        connection.settimeout(0.2)
        try:
            closed += connection.recv(1) == b""
        except (socket.timeout, BlockingIOError):
            pass
        except OSError:
            closed += 1
        connection.close()
    check(closed == 1000, f"every idle connection is closed at the idle timeout ({closed} of 1,000)")
    check(server.descriptors() <= descriptors + 5, f"their descriptors are released ({server.descriptors()} against {descriptors})")

    # Past the limit: 3,000 at once against --max-connections 1,500.
    flood = []
    for _ in range(3000):
        try:
            flood.append(server.connect(timeout=2))
        except OSError:
            break
    time.sleep(0.5)
    open_now = server.descriptors() - descriptors
    check(open_now <= MAXIMUM + 5, f"past the limit the server holds at most {MAXIMUM} connections open ({open_now}) "
                                   f"of the {len(flood)} the kernel took")
    check(server.process.poll() is None, "and stays up")
    for connection in flood:
        connection.close()
    seconds, status = quick_request(server)
    check(status == 200, f"once the flood is gone the server answers again ({seconds:.2f} s)")


def oversized_head(server):
    connection = server.connect()
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: idca\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    data, _ = read_answer(connection)
    status = status_of(data)
    check(status is not None and 400 <= status < 500, f"a 20 KiB header is refused with a 4xx, not {data[:80]!r}")
    connection.close()
    connection = server.connect()
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: idca\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n")
    data, _ = read_answer(connection)
    check(status_of(data) == 200, f"an 8 KB header is accepted: {data[:80]!r}")
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idca", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the working directory (server log)")
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="idca-exhaustion-")
    server = None
    try:
        server = Server(os.path.abspath(arguments.idca), directory)
        for part in (oversized_bodies, slow_clients, idle_connections, oversized_head):
            print(f"== {part.__name__.replace('_', ' ')}", flush=True)
            part(server)
        check(server.process.poll() is None, "the server is still running at the end")
        server.log.seek(0)
        errors = [line for line in server.log if " error " in line or " critical " in line]
        check(not errors, f"the server logged no errors: {errors[:3]}")
    finally:
        if server:
            server.stop()
        if not arguments.keep:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"exhaustion: {tally.passed} passed, {tally.failed} failed")
    sys.exit(0 if tally.failed == 0 else 1)


if __name__ == "__main__":
    main()
