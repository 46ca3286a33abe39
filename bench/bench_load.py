"""The citizen journey mix under load, end to end, in one command (docs/benchmarks.md).

1. creates a throwaway PostgreSQL database and seeds it (``bench/load/seed.py``: a generated district,
   detected, every case opened and its person told, as the platform itself does);
2. starts the platform on it as production runs it: ``cartax serve --workers N`` in services mode (the
   web processes serve only) and one process for the background work (``bench/load/events_worker.py``:
   relay, consumers, payout, notify dispatch);
3. runs Locust headless (``bench/load/locustfile.py``) in steps of rate (default 100 → 1,000 requests/s,
   60 s each), stopping early once a step's p95 passes ``--give-up-ms``;
4. samples the CPU of the server workers, the background worker, Locust and the database's backends
   (and the machine's load average) once a second, and optionally profiles one server worker with py-spy;
5. writes per-step and per-route figures (p50/p95/p99, failures) to CSV, prints them, stops everything and
   drops the database.

    .venv/bin/python bench/bench_load.py                       # the full ramp (about 17 minutes)
    .venv/bin/python bench/bench_load.py --steps 20,40 --step-seconds 30 --vehicles 5000   # a short check

The load generator runs on the same machine as the server and the database, so it takes its share of
the cores; its CPU is reported beside theirs. Whole-process CPU times come from ``/usr/bin/time -v``.
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
LOAD = ROOT / "bench" / "load"
BIN = Path(sys.executable).parent
TARGET_P95_MS = 500.0
MAX_FAILURE_SHARE = 0.01
READY_SECONDS = 300
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- CPU sampling from /proc ---------------------------------------------------------------------------


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def database_backends(database: str) -> list[int]:
    """PostgreSQL's processes serving ``database`` (their titles name it)."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            pids.append(int(proc.name))
    return pids


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


@dataclass
class Sampler:
    """Once a second: CPU seconds per group of processes, the machine's busy share and load average."""

    database: str
    groups: dict[str, list[int]] = field(default_factory=dict)
    samples: list[tuple[float, dict[str, float], tuple[float, float], float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def track(self, name: str, pid: int, with_children: bool = False) -> None:
        self.groups[name] = [pid, *(children_of(pid) if with_children else [])]

    def take(self) -> None:
        seen = {name: sum(cpu_of(pid) for pid in pids) for name, pids in self.groups.items()}
        backends = self._backends = getattr(self, "_backends", {})
        for pid in database_backends(self.database):
            backends[pid] = cpu_of(pid)  # a backend that ended keeps the time it had
        seen["postgres"] = sum(backends.values())
        load = float(Path("/proc/loadavg").read_text().split()[0])
        self.samples.append((time.time(), seen, machine_busy(), load))

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.take()

    def between(self, start: float, end: float) -> tuple[dict[str, float], float, float]:
        """CPU seconds per group, the machine's busy share (of all cores) and the mean load average."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}, 0.0, 0.0
        first, last = inside[0], inside[-1]
        used = {name: last[1].get(name, 0.0) - first[1].get(name, 0.0) for name in last[1]}
        busy = (last[2][0] - first[2][0]) / max(last[2][1] - first[2][1], 1.0)
        return used, busy, sum(s[3] for s in inside) / len(inside)


# -- figures ------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


@dataclass
class Step:
    number: int
    target: float
    start: float = float("inf")
    end: float = 0.0
    times: list[float] = field(default_factory=list)
    failures: int = 0
    routes: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    route_failures: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 1e-9)

    @property
    def achieved(self) -> float:
        return len(self.times) / self.seconds

    def met(self) -> bool:
        return (
            self.achieved >= 0.9 * self.target
            and percentile(self.times, 0.95) <= TARGET_P95_MS
            and self.failures <= MAX_FAILURE_SHARE * max(len(self.times), 1)
        )


def read_steps(log: Path) -> list[Step]:
    steps: dict[int, Step] = {}
    with log.open() as handle:
        for row in csv.DictReader(handle):
            number = int(row["step"])
            step = steps.setdefault(number, Step(number, float(row["rate"])))
            at, ms = float(row["time"]), float(row["ms"])
            step.start, step.end = min(step.start, at), max(step.end, at)
            step.times.append(ms)
            step.routes[f"{row['method']} {row['name']}"].append(ms)
            if row["error"]:
                step.failures += 1
                step.route_failures[f"{row['method']} {row['name']}"] += 1
    return [steps[n] for n in sorted(steps)]


def time_v(path: Path) -> dict[str, str]:
    """The figures ``/usr/bin/time -v`` wrote."""
    wanted = {
        "User time (seconds)": "user",
        "System time (seconds)": "sys",
        "Maximum resident set size (kbytes)": "max_rss_kb",
        "Elapsed (wall clock) time (h:mm:ss or m:ss)": "wall",
    }
    found = {}
    for line in path.read_text(errors="replace").splitlines():
        name, _, value = line.strip().rpartition(": ")
        if name in wanted:
            found[wanted[name]] = value
    return found


# -- the run ------------------------------------------------------------------------------------------


@dataclass
class Run:
    args: argparse.Namespace
    out: Path
    database: str
    port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.args.pg_user}@{self.args.pg_host}:{self.args.pg_port}/{self.database}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "CARTAX_ENVIRONMENT": "development",  # the demo identity provider: never in production
            "CARTAX_DATABASE_URL": self.url,
            "CARTAX_DATA_DIR": str(self.out / "data"),
            "CARTAX_KRDS_DIR": str(ROOT / "node_modules" / "krds-uiux"),
            "CARTAX_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "CARTAX_DEMO_IDENTITIES": "100000",
            **extra,
        }

    def admin(self, statement: str) -> None:
        with psycopg.connect(
            host=self.args.pg_host,
            port=self.args.pg_port,
            user=self.args.pg_user,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def start(
        self, name: str, command: list[str], env: dict[str, str], timed: bool
    ) -> subprocess.Popen[bytes]:
        log = (self.out / f"{name}.log").open("wb")
        if timed:
            command = ["/usr/bin/time", "-v", "-o", str(self.out / f"{name}.time"), *command]
        process = subprocess.Popen(command, env=env, cwd=self.out, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:  # under /usr/bin/time, which does not pass the signal on
                for pid in children_of(process.pid) or [process.pid]:
                    os.kill(pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


def wait_ready(run: Run, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    last = ""
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped; see {run.out / 'server.log'}")
        try:
            answer = httpx.get(f"http://127.0.0.1:{run.port}/api/v1/ready", timeout=5)
            if answer.status_code == 200:
                return
            last = answer.text[:300]
        except httpx.TransportError:
            last = "no answer"
        time.sleep(1)
    raise SystemExit(f"the server did not become ready: {last}")


def worker_pids(server: subprocess.Popen[bytes]) -> tuple[int, list[int]]:
    """(uvicorn's supervisor, its server processes) under ``/usr/bin/time``."""
    (supervisor,) = children_of(server.pid)
    workers = [pid for pid in children_of(supervisor) if "multiprocessing.spawn" in _cmdline(pid)]
    return supervisor, workers


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return ""


def profile_worker(run: Run, pid: int, delay: float, seconds: float) -> threading.Thread:
    """py-spy samples one server worker for ``seconds`` after ``delay`` (raw collapsed stacks), only while
    it holds the GIL: where its CPU goes, not where it waits."""
    raw = run.out / "worker-profile.txt"
    command = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--rate", "50", "--gil", "--nonblocking", "--format", "raw", "--output", str(raw)]

    def sample() -> None:
        time.sleep(delay)
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    return thread


def summarise_profile(raw: Path, top: int = 15) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """From a py-spy raw profile: the functions the samples were in (own share, the heaviest first), and
    the platform's own functions with what they called (inclusive share)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")[1:]]  # the thread first
        total += int(count)
        for frame in set(frames):
            if "(cartax/" in frame:
                inclusive[frame] += int(count)
        if frames:
            own[frames[-1]] += int(count)
    if not total:
        return [], []
    return (
        [(name, n / total) for name, n in own.most_common(top)],
        [(name, n / total) for name, n in inclusive.most_common(top)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="the citizen journey mix under load (docs/benchmarks.md)")
    parser.add_argument("--steps", default="100,200,300,400,500,600,700,800,900,1000", help="requests/s")
    parser.add_argument("--step-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="server processes (one per core)")
    parser.add_argument("--vehicles", type=int, default=50_000, help="the seeded district's vehicles")
    parser.add_argument("--user-rate", type=float, default=1.0, help="requests/s per simulated person")
    parser.add_argument("--give-up-ms", type=float, default=2000.0, help="stop after a step with p95 above")
    parser.add_argument(
        "--profile-step", type=int, help="py-spy one server worker through the middle of this step (from 0)"
    )
    parser.add_argument(
        "--out", type=Path, help="where the CSV files and logs go (default: bench/out/load-<time>)"
    )
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    args = parser.parse_args()
    out = (args.out or ROOT / "bench" / "out" / f"load-{datetime.now(UTC):%Y%m%d-%H%M%S}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    run = Run(args, out, f"cartax_load_{os.getpid()}_{int(time.time())}", free_port())
    steps = [float(rate) for rate in args.steps.split(",")]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    say(f"commit {commit}; results in {out}")
    say(f"database {run.database}; steps {args.steps} requests/s, {args.step_seconds:.0f} s each")
    run.admin(f'CREATE DATABASE "{run.database}"')
    sampler = Sampler(run.database)
    try:
        started = time.perf_counter()
        seeded = subprocess.run(
            [
                sys.executable,
                str(LOAD / "seed.py"),
                "--vehicles",
                str(args.vehicles),
                "--out",
                str(out / "fixture.json"),
            ],
            env=run.env(
                CARTAX_EVENT_BUS="inprocess",
                CARTAX_NOTIFY_DISTRICT_BURST="1000000",
                CARTAX_NOTIFY_DISTRICT_PER_SECOND="1000000",
            ),
            cwd=out,
            check=False,
        )
        if seeded.returncode != 0:
            raise SystemExit("seeding failed")
        say(f"seeded in {time.perf_counter() - started:.0f} s")
        # The code about to serve may expect a later migration than the seed's (a tree that moved on).
        subprocess.run([str(BIN / "cartax"), "db", "upgrade"], env=run.env(), cwd=out, check=True)
        server = run.start(
            "server",
            [str(BIN / "cartax"), "serve", "--workers", str(args.workers), "--port", str(run.port)],
            run.env(CARTAX_EVENT_BUS="nats"),
            timed=True,
        )
        events = run.start(
            "events",
            [sys.executable, str(LOAD / "events_worker.py")],
            run.env(CARTAX_EVENT_BUS="inprocess"),
            timed=True,
        )
        wait_ready(run, server)
        supervisor, workers = worker_pids(server)
        say(f"server ready: supervisor {supervisor}, workers {workers}; events worker {events.pid}")
        for number, pid in enumerate(workers, 1):
            sampler.track(f"server worker {number}", pid)
        sampler.track("server supervisor", supervisor)
        sampler.track("events worker", events.pid, with_children=True)
        locust_env = run.env(
            LOAD_FIXTURE=str(out / "fixture.json"),
            LOAD_STEPS=args.steps,
            LOAD_STEP_SECONDS=str(args.step_seconds),
            LOAD_USER_RATE=str(args.user_rate),
            LOAD_REQUEST_LOG=str(out / "requests.csv"),
            LOAD_GIVE_UP_MS=str(args.give_up_ms),
        )
        locust = run.start(
            "locust",
            [
                str(BIN / "locust"),
                "-f",
                str(LOAD / "locustfile.py"),
                "--headless",
                "--only-summary",
                "--host",
                f"http://127.0.0.1:{run.port}",
                "--csv",
                str(out / "locust"),
                "--loglevel",
                "WARNING",
            ],
            locust_env,
            timed=True,
        )
        time.sleep(1)
        (locust_pid,) = children_of(locust.pid) or [locust.pid]
        sampler.track("locust", locust_pid)
        threading.Thread(target=sampler.run, daemon=True).start()
        if args.profile_step is not None and workers:
            begins = args.profile_step * args.step_seconds
            profile_worker(run, workers[0], begins + args.step_seconds / 4, args.step_seconds / 2)
        say(f"locust running ({len(steps)} steps, up to {len(steps) * args.step_seconds:.0f} s)")
        locust.wait()
        sampler.take()
        sampler.stop.set()
    finally:
        run.stop_all()
        if not args.keep_database:
            run.admin(f'DROP DATABASE IF EXISTS "{run.database}" WITH (FORCE)')
            say(f"database {run.database} dropped")
    report(run, sampler, commit)


def report(run: Run, sampler: Sampler, commit: str) -> None:
    out = run.out
    steps = read_steps(out / "requests.csv")
    groups = sorted({name for s in sampler.samples for name in s[1]})
    header = ["step", "target_rps", "achieved_rps", "requests", "failures", "p50_ms", "p95_ms", "p99_ms"]
    header += ["machine_busy", "load_avg", "server_cpu_ms_per_request", *(f"cpu_s {g}" for g in groups)]
    with (out / "steps.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        print(f"\ncommit {commit}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
        print("\nstep target reached requests fails  p50   p95   p99 machine load srv-CPU/req  cores used")
        for step in steps:
            used, busy, load = sampler.between(step.start, step.end)
            p50, p95, p99 = (percentile(step.times, q) for q in (0.5, 0.95, 0.99))
            server = sum(v for name, v in used.items() if name.startswith("server")) / len(step.times) * 1000
            share = ", ".join(f"{g} {used.get(g, 0) / step.seconds:.2f}" for g in groups if used.get(g))
            row = [step.number, step.target, f"{step.achieved:.1f}", len(step.times), step.failures]
            row += [f"{p50:.0f}", f"{p95:.0f}", f"{p99:.0f}", f"{busy:.2f}", f"{load:.2f}", f"{server:.1f}"]
            writer.writerow([*row, *(f"{used.get(g, 0):.1f}" for g in groups)])
            print(
                f"{step.number:>4} {step.target:>6.0f} {step.achieved:>7.1f} {len(step.times):>8} "
                f"{step.failures:>5} {p50:>4.0f} {p95:>5.0f} {p99:>5.0f} {busy:>7.0%} {load:>4.1f} "
                f"{server:>8.1f} ms  {share}"
            )
    with (out / "routes.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "target_rps", "route", "requests", "failures", "p50_ms", "p95_ms", "p99_ms"])
        for step in steps:
            for route, times in sorted(step.routes.items()):
                writer.writerow(
                    [
                        step.number,
                        step.target,
                        route,
                        len(times),
                        step.route_failures[route],
                        *(f"{percentile(times, q):.0f}" for q in (0.5, 0.95, 0.99)),
                    ]
                )
    met = [step for step in steps if step.met()]
    best = max(met, key=lambda s: s.achieved) if met else None
    if best is None:
        print("\nno step met p95 ≤ 500 ms with < 1% failures at ≥ 90% of its rate")
    else:
        print(
            f"\nrate reached at p95 ≤ {TARGET_P95_MS:.0f} ms: {best.achieved:.0f} requests/s "
            f"(step {best.number}, target {best.target:.0f})"
        )
        print("\nper route at that step (p50 / p95 / p99 ms, failures):")
        for route, times in sorted(best.routes.items(), key=lambda item: -len(item[1])):
            print(
                f"  {route:<48} {len(times):>7}  {percentile(times, 0.5):>5.0f} "
                f"{percentile(times, 0.95):>6.0f} {percentile(times, 0.99):>6.0f}  "
                f"{best.route_failures[route]}"
            )
    for name in ("server", "events", "locust"):
        timed = out / f"{name}.time"
        if timed.is_file():
            figures = time_v(timed)
            print(
                f"{name}: user {figures.get('user')} s, sys {figures.get('sys')} s, "
                f"max RSS {int(figures.get('max_rss_kb', '0')) // 1024} MiB, wall {figures.get('wall')}"
            )
    total = sum(len(s.times) for s in steps)
    server_cpu = (
        sum(float(time_v(out / "server.time").get(k, 0)) for k in ("user", "sys"))
        if (out / "server.time").is_file()
        else 0
    )
    if total and server_cpu:
        print(f"server CPU per request (whole run, start-up included): {server_cpu / total * 1000:.1f} ms")
    raw = out / "worker-profile.txt"
    if raw.is_file():
        own, inclusive = summarise_profile(raw)
        print("\none server worker sampled by py-spy while it held the GIL; where the samples were:")
        for name, share in own:
            print(f"  {share:>6.1%}  {name}")
        print("the platform's functions, with what they called:")
        for name, share in inclusive:
            print(f"  {share:>6.1%}  {name}")
    print(f"\nfiles: {out / 'steps.csv'}, {out / 'routes.csv'}, {out / 'locust_stats.csv'}, {out}/*.log")


if __name__ == "__main__":
    main()
