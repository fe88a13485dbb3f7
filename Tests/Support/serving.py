"""Shared by the live-server test scripts: how `idca serve --port 0` tells its port, and a tally of checks."""
import re
import subprocess
import threading
import time

LISTENING = re.compile(r"address=127\.0\.0\.1:(\d+) \[IDCACommands\] listening")


def announced_port(log, process, timeout):
    """The port from the server's `listening` log line (`log`: the file its output goes to), or None
    once `timeout` seconds have passed or the process has exited without announcing one."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        log.seek(0)
        found = LISTENING.search(log.read())
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    return None


class Tally:
    """Counts checks and prints each failure as it happens, for scripts that end with `N passed, M failed`.
    Safe to call from several threads."""

    def __init__(self):
        self.passed, self.failed = 0, 0
        self._lock = threading.Lock()

    def check(self, condition, what):
        with self._lock:
            if condition:
                self.passed += 1
            else:
                self.failed += 1
                print("FAIL:", what, flush=True)
        return condition


def terminate(process, timeout):
    """SIGTERM, then SIGKILL after `timeout` seconds; the exit status (None if it had to be killed, or
    if there was no process)."""
    if process is None or process.poll() is not None:
        return process.returncode if process else None
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
