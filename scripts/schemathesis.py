"""Schemathesis against a real, seeded `ils serve`: the driver behind scripts/schemathesis.

For each backend (SQLite always; PostgreSQL when one answers), it starts `ils serve` on a free
loopback port with a fresh data directory (and, on PostgreSQL, a fresh database, dropped after),
seeds a practice and a lab with an account between them, a patient, a prescription, an order and
some stock, then runs `st run` twice: anonymous, and signed in as the practice's admin. Prints a
summary and exits non-zero when any run found a failure.

Run through scripts/schemathesis, which installs the pinned Schemathesis into a virtualenv and
builds `ils` first; the settings are environment variables documented there.
"""

import json
import os
import re
import secrets
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)

# Never fuzzed (by operationId): the live event stream answers forever (server-sent events).
ALWAYS_EXCLUDED = ["stream_events"]

# Not fuzzed while signed in, because they end or change the session the run signs in with
# (sign out, new password, another tenant, revoking sessions); the anonymous run covers them, and
# core/tests/it covers them signed in.
SESSION_ENDERS = ["logout", "change_password", "switch_tenant", "revoke_session"]

CONFIG = Path(__file__).with_name("schemathesis.toml")

# A fixed seed by default, so that a CI run is reproducible.
SEED = os.environ.get("SCHEMATHESIS_SEED", "20")

PASSWORD = "conformance admin pass 1"
PRACTICE = "conformance-eyes"
LAB = "conformance-lab"


def is_ci():
    return os.environ.get("CI") in ("true", "1")


def log(message):
    print(f"schemathesis: {message}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_admin_url():
    """The PostgreSQL server to create the run's database on, as a superuser (or a role that may
    create databases and roles): the test suite's, or the local one."""
    return os.environ.get("ILS_TEST_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"


def pg_url(user, database):
    """The admin URL with another user (no password) and database, like core/tests/it/harness.rs."""
    parts = urllib.parse.urlsplit(pg_admin_url())
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{user}@{host}" if user else parts.netloc
    return urllib.parse.urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, ""))


def pg_reachable():
    if not shutil.which("psql"):
        return False
    probe = subprocess.run(["psql", "-q", "-w", pg_admin_url(), "-c", "SELECT 1"], capture_output=True, timeout=15)
    return probe.returncode == 0


def psql(sql):
    subprocess.run(["psql", "-q", "-w", "-v", "ON_ERROR_STOP=1", pg_admin_url(), "-c", sql], check=True, capture_output=True)


def http(method, url, token=None, body=None):
    """One request; returns (status, parsed JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


def expect(what, status, body, wanted):
    if status != wanted:
        raise RuntimeError(f"seeding: {what} answered {status}, expected {wanted}: {body}")
    return body


class SmtpSink(socketserver.ThreadingTCPServer):
    """An SMTP server on loopback that accepts and drops every message (RFC 5321's happy path):
    with a mail server configured, the operations that send e-mail (password reset,
    invitations) run their real path instead of answering `email_not_configured`."""

    daemon_threads = True
    allow_reuse_address = True

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 sink ESMTP\r\n")
            in_data = False
            for line in self.rfile:
                if in_data:
                    if line in (b".\r\n", b".\n"):
                        in_data = False
                        self.wfile.write(b"250 dropped\r\n")
                    continue
                verb = line[:4].upper()
                if verb == b"DATA":
                    in_data = True
                    self.wfile.write(b"354 go on\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SmtpSink.Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()
        self.url = f"smtp://127.0.0.1:{self.server_address[1]}"


class Server:
    """`ils serve` on a free port, with its own data directory and log file."""

    def __init__(self, ils, backend, workdir, smtp_url):
        self.ils = ils
        self.backend = backend
        self.data_dir = Path(workdir) / backend / "data"
        self.data_dir.mkdir(parents=True)
        self.log_path = Path(workdir) / backend / "serve.log"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, ILS_LOG="warn", ILS_DATA_DIR=str(self.data_dir), ILS_SMTP_URL=smtp_url)
        for name in ("DATABASE_URL", "ILS_MIGRATE_DATABASE_URL", "ILS_BOOTSTRAP_EMAIL", "ILS_BOOTSTRAP_PASSWORD"):
            self.env.pop(name, None)
        self.pg_database = None
        if backend == "postgres":
            self.pg_database = f"ils_st_{secrets.token_hex(6)}"
            for sql in (
                "CREATE ROLE ils_app NOLOGIN NOSUPERUSER NOBYPASSRLS",
                "CREATE ROLE ils_st_service LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE ils_app",
            ):
                try:
                    psql(sql)
                except subprocess.CalledProcessError:
                    pass  # exists already
            psql(f"CREATE DATABASE {self.pg_database}")
            self.env["DATABASE_URL"] = pg_url("ils_st_service", self.pg_database)
            self.env["ILS_MIGRATE_DATABASE_URL"] = pg_url(None, self.pg_database)
        self.process = None

    def start(self):
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [self.ils, "serve", "--init", "--listen", f"127.0.0.1:{self.port}"],
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ils serve exited ({self.process.returncode}); see {self.log_path}")
            try:
                if http("GET", f"{self.base}/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"ils serve was not ready within 60 s; see {self.log_path}")

    def cli(self, *args, password):
        env = dict(self.env, ILS_ADMIN_PASSWORD=password)
        subprocess.run([self.ils, *args], env=env, check=True, capture_output=True)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log_file.close()
        if self.pg_database:
            try:
                psql(f"DROP DATABASE IF EXISTS {self.pg_database} WITH (FORCE)")
            except subprocess.CalledProcessError as error:
                log(f"could not drop {self.pg_database}: {error.stderr.decode(errors='replace')}")

    def server_errors_logged(self):
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if '"level":"ERROR"' in line or "panicked" in line]


def seed(server):
    """A practice and a lab with an account between them, a patient with a prescription and an
    order, an item with stock at a location, a supplier; returns the practice admin's token."""
    api = f"{server.base}/api/v1"
    for slug, kind, name in ((PRACTICE, "ecp", "Conformance Eyes"), (LAB, "lab", "Conformance Lab")):
        server.cli(
            "tenant", "create", "--name", name, "--slug", slug, "--kind", kind, "--plan", "pro",
            "--admin-email", f"admin@{slug}.example", "--admin-name", "Admin",
            password=PASSWORD,
        )

    def login(slug):
        body = {"email": f"admin@{slug}.example", "password": PASSWORD, "tenant": slug}
        return expect("sign-in", *http("POST", f"{api}/auth/login", body=body), 200)["token"]

    token, lab = login(PRACTICE), login(LAB)
    account = {"practice": PRACTICE, "account_number": "CE-0001"}
    expect("lab account", *http("POST", f"{api}/lab/customers", lab, account), 201)
    patient = expect(
        "patient",
        *http("POST", f"{api}/patients", token,
              {"first_name": "Ann", "last_name": "Smith", "date_of_birth": "1980-02-29", "nhs_number": "943 476 5919"}),
        201,
    )["id"]
    rx = {
        "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
        "right": {"sphere": "+2.00", "cylinder": "+1.00", "axis": 180},
        "left": {"sphere": "-1.50", "cylinder": "-0.75", "axis": 45},
    }
    prescription = expect("prescription", *http("POST", f"{api}/patients/{patient}/prescriptions", token, rx), 201)["id"]
    order = {
        "lab": LAB, "patient_id": patient, "prescription_id": prescription,
        "lens": {"type": "single_vision", "material": "high_index", "index": 1.67, "coatings": ["hard_coat"]},
        "frame": {"description": "Ray-Ban RB5154 51-21 black"}, "measurements": {"pd_right_mm": 32, "pd_left_mm": 31.5},
        "due_on": "2099-01-15", "price": {"amount_minor": 12950, "currency": "GBP"},
    }
    expect("order", *http("POST", f"{api}/orders", token, order), 201)
    item = expect(
        "item", *http("POST", f"{api}/items", token, {"sku": "CL-DAILY-30", "name": "Daily lenses", "unit": "box", "reorder_point": 5}), 201
    )["id"]
    location = expect("location", *http("POST", f"{api}/locations", token, {"name": "Shop floor"}), 201)["id"]
    adjustment = {"item_id": item, "location_id": location, "quantity": 12, "reason": "found"}
    expect("adjustment", *http("POST", f"{api}/stock/adjustments", token, adjustment), 201)
    return token


def run_schemathesis(st, server, label, token, report_dir):
    """One `st run`; returns a dict of figures for the summary."""
    excluded = ALWAYS_EXCLUDED + (SESSION_ENDERS if token else [])
    args = [
        st, "--config-file", str(CONFIG), "--no-color", "run", f"{server.base}/api/v1/openapi.json",
        "--url", server.base,
        "--checks", CHECKS,
        "--max-examples", os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"),
        "--max-time", os.environ.get("SCHEMATHESIS_MAX_TIME", "60"),
        "--seed", SEED,
        # One worker: Python 3.11's ast module is not thread-safe (Hypothesis parses sources).
        "--workers", os.environ.get("SCHEMATHESIS_WORKERS", "1"),
        "--request-timeout", "20",
        "--suppress-health-check", "all",
        "--report", "junit,ndjson",
        "--report-dir", str(report_dir),
    ]
    for operation_id in excluded:
        args += ["--exclude-operation-id", operation_id]
    if token:
        args += ["--header", f"Authorization: Bearer {token}"]
    log(f"{server.backend}, {label}: st run …")
    started = time.monotonic()
    result = subprocess.run(args, env=dict(os.environ, NO_COLOR="1"), capture_output=True, text=True, cwd=report_dir)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    (report_dir / "output.txt").write_text(output)
    figures = summarise(output)
    figures.update(backend=server.backend, label=label, seconds=elapsed, exit=result.returncode)
    if result.returncode != 0:
        print(output[-20000:], flush=True)
    return figures


def summarise(output):
    """Operations tested, test cases, failures and errors, as Schemathesis's summary states them
    (its last line reads e.g. `=== 11 failures, 2 errors, 4 warnings in 60.02s ===`)."""

    def number(pattern, text):
        found = re.search(pattern, text)
        return int(found.group(1)) if found else 0

    last = next((line for line in reversed(output.splitlines()) if re.search(r" in [\d.]+s =+$", line)), "")
    return {
        "operations": number(r"Tested: (\d+)", output),
        "cases": number(r"(\d+) generated", output),
        "failures": number(r"(\d+) failures?\b", last),
        "errors": number(r"(\d+) errors?\b", last),
    }


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: schemathesis.py ILS_BINARY ST_BINARY")
    ils, st = sys.argv[1], sys.argv[2]
    backends = ["sqlite"]
    if os.environ.get("SCHEMATHESIS_BACKENDS"):
        backends = os.environ["SCHEMATHESIS_BACKENDS"].split(",")
    elif pg_reachable():
        backends.append("postgres")
    elif is_ci():
        sys.exit(f"error: CI=true but PostgreSQL is not reachable with psql at {pg_admin_url()}")
    else:
        log(f"PostgreSQL not reachable with psql at {pg_admin_url()}: SQLite only")

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ils-schemathesis-"))
    reports = Path(os.environ.get("SCHEMATHESIS_REPORT_DIR", workdir / "reports"))
    results, problems = [], []
    smtp = SmtpSink()
    for backend in backends:
        server = Server(ils, backend, workdir, smtp.url)
        try:
            server.start()
            token = seed(server)
            for label, credential in (("anonymous", None), ("signed in", token)):
                report_dir = reports / backend / label.replace(" ", "-")
                report_dir.mkdir(parents=True, exist_ok=True)
                results.append(run_schemathesis(st, server, label, credential, report_dir))
            logged = server.server_errors_logged()
            if logged:
                problems.append(f"{backend}: the server logged {len(logged)} errors, e.g. {logged[0][:400]}")
        finally:
            server.stop()

    print("\nSchemathesis summary (checks: " + CHECKS + ")")
    print(f"{'backend':<9} {'caller':<10} {'operations':>10} {'cases':>7} {'failures':>8} {'errors':>6} {'seconds':>7}")
    failed = False
    for r in results:
        print(
            f"{r['backend']:<9} {r['label']:<10} {r['operations']:>10} {r['cases']:>7} "
            f"{r['failures']:>8} {r['errors']:>6} {r['seconds']:>7.0f}"
        )
        failed |= r["exit"] != 0 or r["failures"] > 0 or r["errors"] > 0
    for problem in problems:
        print(f"  {problem}")
    print(f"total: {time.monotonic() - started:.0f} s for {len(backends)} backend(s), seed {SEED}")
    if failed or problems:
        print(f"reports: {reports}; server logs: {workdir}/<backend>/serve.log")
        print("schemathesis: FAILED")
        sys.exit(1)
    # Passed: the servers' data and logs are of no more use; the reports stay only when asked for.
    for backend in backends:
        shutil.rmtree(workdir / backend, ignore_errors=True)
    if "SCHEMATHESIS_REPORT_DIR" in os.environ:
        print(f"reports: {reports}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print("schemathesis: all runs passed")


if __name__ == "__main__":
    main()
