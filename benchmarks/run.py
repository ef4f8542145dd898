"""Every benchmark, one command: `python -m benchmarks` (from the repository root, with the
package installed). Prints a Markdown table of each measure beside its target and writes
`benchmarks/results.json` with the machine it ran on.

Commands are timed as a user runs them: the installed `reconciler` in a subprocess, several
times (median and fastest shown), bytecode compiled first as `pip install` leaves it. In-process
measures (refresh, the planning core) time the functions themselves.
"""

from __future__ import annotations

import compileall
import gc
import io
import json
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from benchmarks.trees import LOCATION, ROLE, add_jobs, group_arn, tree
from reconciler.cli import main as reconciler_main
from reconciler.diagnostics import Location
from reconciler.entry import COLLECT_EVERY
from reconciler.models import DesiredJob, JobSpec, JobStatus, ServiceJob, Target
from reconciler.planning.decide import make_plan
from reconciler.planning.model import Limits, Origin, RecordedJob, RecordedState
from reconciler.planning.observed import Observed, ObservedGroup
from reconciler.providers.aws import AwsProvider
from reconciler.providers.interface import Provider
from reconciler.providers.registry import make_provider
from reconciler.refresh import refresh
from reconciler.runtime import Runtime
from reconciler.settings import ProviderSettings, Settings, StateSettings
from reconciler.state.interface import StateBackend
from reconciler.state.local import LocalBackend
from reconciler.workspace import recorded_state

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results.json"


@dataclass
class Row:
    case: str
    measured: str
    target: str
    met: bool | None  # None: no target, or the comparison could not run
    detail: dict[str, Any] = field(default_factory=dict)


def timed_cli(args: list[str], cwd: Path, runs: int) -> list[float]:
    """Seconds of `reconciler ARGS` as a subprocess (exit 0 or 2 expected), `runs` times."""
    script = shutil.which("reconciler", path=os.path.dirname(sys.executable))
    command = [script] if script else [sys.executable, "-m", "reconciler"]
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [*command, *args], cwd=cwd, capture_output=True, text=True, check=False
        )
        seconds.append(time.perf_counter() - started)
        if done.returncode not in (0, 2):
            raise SystemExit(f"reconciler {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return seconds


def spread(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.2f} s (fastest {min(seconds):.2f} s)"


# --- the cases ---------------------------------------------------------------------------------


def plan_1k(work: Path) -> list[Row]:
    root = work / "plan-1k"
    root.mkdir()
    manifests = tree(root, groups=2, recorded=500)
    seconds = timed_cli(["plan", "-m", str(manifests)], root, runs=9)
    ours = statistics.median(seconds)
    rows = [
        Row(
            "`reconciler plan`, 1,000 jobs in 2 groups (emulator)",
            spread(seconds),
            "≤ 0.5 s",
            ours <= 0.5,
            {"seconds": seconds},
        )
    ]
    terraform = shutil.which("terraform")
    if terraform is None:
        rows.append(
            Row("Terraform `plan`, 1,000 `terraform_data`", "skipped: no terraform", "-", None)
        )
        return rows
    tf = work / "terraform"
    tf.mkdir()
    (tf / "main.tf").write_text(
        "".join(
            f'resource "terraform_data" "j{i:04d}" {{\n  input = "g000-w{i:04d}"\n}}\n'
            for i in range(1000)
        )
    )
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    subprocess.run(
        [terraform, "init", "-input=false", "-no-color"], cwd=tf, env=env, capture_output=True
    )
    tf_seconds = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(
            [terraform, "plan", "-input=false", "-no-color", "-lock=false"],
            cwd=tf,
            env=env,
            capture_output=True,
            check=True,
        )
        tf_seconds.append(time.perf_counter() - started)
    version = subprocess.run([terraform, "version"], capture_output=True, text=True).stdout
    theirs = statistics.median(tf_seconds)
    rows.append(
        Row(
            f"Terraform {version.split()[1]} `plan`, 1,000 `terraform_data` (no API calls)",
            f"{spread(tf_seconds)}: reconciler is {theirs / ours:.1f}x faster",
            "≥ 40x slower than reconciler",
            theirs >= 40 * ours,
            {"seconds": tf_seconds, "ratio": theirs / ours},
        )
    )
    return rows


def plan_10k_and_weekly_batch(work: Path) -> list[Row]:
    root = work / "weekly"
    root.mkdir()
    manifests = tree(root, groups=100, recorded=100, new=1)  # 10,000 recorded, 100 this week
    seconds = timed_cli(["plan", "-m", str(manifests)], root, runs=3)
    plan_row = Row(
        "`reconciler plan`, 10,000 jobs in 100 groups (100 files)",
        spread(seconds),
        "≤ 1.5 s",
        statistics.median(seconds) <= 1.5,
        {"seconds": seconds},
    )
    plan_seconds, _, _ = in_process(["plan", "-m", str(manifests)], root)
    apply_seconds, writes, _ = in_process(["apply", "-m", str(manifests), "--auto-approve"], root)
    add_jobs(manifests, 100, "next")
    wait_seconds, wait_writes, _ = in_process(
        ["apply", "-m", str(manifests), "--auto-approve", "--wait"], root
    )
    weekly = Row(
        "weekly batch: `apply` of 100 creates over 10,000 recorded jobs",
        f"{apply_seconds:.2f} s, {writes} state writes ({apply_seconds / plan_seconds:.1f}x its "
        f"plan of {plan_seconds:.2f} s); with `--wait` {wait_seconds:.2f} s, {wait_writes} writes",
        "≤ 3x plan, ≤ 4 writes",
        apply_seconds <= 3 * plan_seconds and writes <= 4,
        {
            "plan_seconds": plan_seconds,
            "apply_seconds": apply_seconds,
            "writes": writes,
            "wait_seconds": wait_seconds,
            "wait_writes": wait_writes,
        },
    )
    return [plan_row, weekly]


def validate_shipped() -> list[Row]:
    seconds = timed_cli(["validate"], REPO, runs=15)
    return [
        Row(
            "`reconciler validate`, the shipped manifests",
            spread(seconds),
            "≤ 0.3 s",
            statistics.median(seconds) <= 0.3,
            {"seconds": seconds},
        )
    ]


def refresh_over_http(work: Path) -> list[Row]:
    """10,000 jobs in 100 groups through boto3 against the emulator over HTTP, 20 ms a call."""
    root = work / "refresh"
    root.mkdir()
    tree(root, groups=100, recorded=100, faults={"latencySeconds": 0.02})
    with socket.socket() as probe:  # a free port for the server, in a process of its own
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = ["emulator", "serve", "--config", "emulator.yaml", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *serve],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    server.stdout.readline()  # "Personalize emulator listening on …": it is up
    url = f"http://127.0.0.1:{port}"
    try:
        state = LocalBackend(root / "state.json").load()
        recorded = recorded_state(state)
        assert recorded is not None
        groups = sorted({r.spec.dataset_group_arn for r in recorded.jobs.values()})
        measured = {}
        for label, per_region in (("concurrent", 8), ("sequential", 1)):
            provider = AwsProvider(
                ProviderSettings(name="aws", endpoint_url=url, max_attempts=1),
                session=boto3.session.Session(
                    aws_access_key_id="bench",
                    aws_secret_access_key="bench",
                    region_name="eu-west-1",
                ),
            )
            started = time.perf_counter()
            seen = refresh((), groups, recorded, provider, per_region=per_region)
            measured[label] = (time.perf_counter() - started, dict(seen.api_calls))
    finally:
        server.terminate()
        server.wait(timeout=30)
    seconds, calls = measured["concurrent"]
    sequential, sequential_calls = measured["sequential"]
    pages = calls.get("ListDataDeletionJobs", 0)
    return [
        Row(
            "refresh of 10,000 jobs / 100 groups, `aws` over HTTP, 20 ms a call",
            f"{seconds:.2f} s ({pages} List pages, 8 at once; "
            f"one after another {sequential:.2f} s)",
            "≤ 1 s",
            seconds <= 1.0 and calls == sequential_calls,
            {"seconds": seconds, "sequential_seconds": sequential, "calls": calls},
        )
    ]


def planning_core() -> list[Row]:
    """make_plan alone over views built in memory: 10,000 and 100,000 recorded jobs (timed, then
    run again under tracemalloc for the memory it allocates at peak)."""
    measured = {}
    target = Target(provider="bench", account="123456789012")
    origin = Origin(target=target, state_location="-", manifests_digest="-")
    for count in (10_000, 100_000):
        jobs, recorded, observed = synthetic(count)
        started = time.perf_counter()
        plan = make_plan(jobs, recorded, observed, Limits(), origin)
        seconds = time.perf_counter() - started
        assert not plan.has_changes and not plan.errored and len(plan.changes) == count
        del plan
        tracemalloc.start()
        make_plan(jobs, recorded, observed, Limits(), origin)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        measured[count] = (seconds, peak)
        del jobs, recorded, observed
    (small, _), (large, peak) = measured[10_000], measured[100_000]
    return [
        Row(
            "planning core alone, 100,000 jobs",
            f"{large:.2f} s, {peak / 2**20:.0f} MiB at peak (traced); 10k → 100k: "
            f"{large / small:.1f}x",
            "≤ 5 s, ≤ 500 MB, ≤ 12x from 10k",
            large <= 5 and peak <= 500 * 10**6 and large / small <= 12,
            {"seconds": {k: v[0] for k, v in measured.items()}, "peak_bytes": peak},
        )
    ]


def synthetic(count: int) -> tuple[list[DesiredJob], RecordedState, Observed]:
    """`count` declared jobs in groups of 100, each recorded and listed COMPLETED."""
    now = datetime.now(UTC)
    jobs, records, listed = [], {}, defaultdict(list)
    for i in range(count):
        group = group_arn(i // 100)
        name = f"j{i:06d}"
        spec = JobSpec(
            dataset_group_arn=group, job_name=name, data_location=LOCATION, role_arn=ROLE
        )
        address = f"g{i // 100:03d}/{name}"
        job = DesiredJob(address=address, spec=spec, source=Location("m.yaml", i + 1, 5))
        seen = ServiceJob(
            arn=f"arn:aws:personalize:eu-west-1:123456789012:data-deletion-job/{name}",
            job_name=name,
            dataset_group_arn=group,
            status=JobStatus.COMPLETED,
            created=now,
            last_updated=now,
            num_deleted=2,
        )
        jobs.append(job)
        records[address] = RecordedJob(
            address=address, spec=spec, spec_digest=spec.digest(), job_name=name, seen=seen
        )
        listed[group].append(seen)
    observed = Observed({g: ObservedGroup(g, True, tuple(js)) for g, js in listed.items()})
    return jobs, RecordedState(lineage="L", serial=1, jobs=records), observed


def apply_1000(work: Path) -> list[Row]:
    """1,000 creates across 100 groups, the emulator's quota of 5 PENDING per group and 5 ms a
    call, followed to COMPLETED (`apply --wait`)."""
    root = work / "apply-1000"
    root.mkdir()
    manifests = tree(
        root,
        groups=100,
        recorded=0,
        new=10,
        pendingSeconds=0.5,
        inProgressSeconds=0.5,
        pendingJobsLimit=5,
        faults={"latencySeconds": 0.005},
    )
    seconds, _, calls = in_process(
        ["apply", "-m", str(manifests), "--auto-approve", "--wait"], root
    )
    most = most_pending_per_group(root / "e.sqlite3")
    jobs = sum(1 for _ in sqlite3.connect(root / "e.sqlite3").execute("SELECT 1 FROM jobs"))
    return [
        Row(
            "`apply --wait` of 1,000 creates in 100 groups (quota 5 PENDING, 5 ms a call)",
            f"{seconds:.1f} s; {jobs} jobs; most PENDING at once in a group: {most}; "
            + ", ".join(f"{name} {n}" for name, n in sorted(calls.items())),
            "never more than 5 PENDING in a group",
            most <= 5 and jobs == 1000,
            {"seconds": seconds, "most_pending": most, "jobs": jobs, "calls": calls},
        )
    ]


def most_pending_per_group(database: Path) -> int:
    """The most jobs that were PENDING at once in one group: each was PENDING from its creation
    until it started (the emulator keeps both times)."""
    events: defaultdict[str, list[tuple[float, int]]] = defaultdict(list)
    with sqlite3.connect(database) as conn:
        for group, created, started in conn.execute(
            "SELECT dataset_group_arn, created, started FROM jobs"
        ):
            events[group] += [(created, 1), (started, -1)]
    most = 0
    for changes in events.values():
        pending = 0
        for _, step in sorted(changes, key=lambda e: (e[0], e[1])):  # a start before a create
            pending += step
            most = max(most, pending)
    return most


# --- running commands in process, counting state writes and API calls ----------------------------


@contextmanager
def cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def in_process(argv: list[str], root: Path) -> tuple[float, int, dict[str, int]]:
    """Seconds, state writes and API calls of `reconciler ARGV` run in this process."""
    writes = Counter[str]()
    providers: list[Provider] = []

    def backend(settings: StateSettings) -> StateBackend:
        made = LocalBackend(settings.path)
        save = made.save

        def counted(document: Any) -> Any:
            writes["saves"] += 1
            return save(document)

        made.save = counted  # type: ignore[method-assign]
        return made

    def provider(settings: Settings) -> Provider:
        providers.append(make_provider(settings))
        return providers[-1]

    runtime = Runtime(
        environ={},
        out=io.StringIO(),
        err=io.StringIO(),
        make_backend=backend,
        make_provider=provider,
    )
    with cwd(root):
        started = time.perf_counter()
        code = reconciler_main(argv, runtime)
        seconds = time.perf_counter() - started
    if code not in (0, 2):
        raise SystemExit(f"{argv} exited {code}: {runtime.err.getvalue()}")
    calls: Counter[str] = Counter()
    for made in providers:
        calls.update(made.calls)
    return seconds, writes["saves"], dict(calls)


# --- the report ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    memory = Path("/proc/meminfo")
    total = memory.read_text().split()[1] if memory.exists() else "?"
    return {
        "cpus": os.cpu_count(),
        "memory_kib": total,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


CASES: list[tuple[str, Callable[[Path], list[Row]]]] = [
    ("plan 1k and Terraform", plan_1k),
    ("plan 10k and the weekly batch", plan_10k_and_weekly_batch),
    ("validate", lambda _: validate_shipped()),
    ("refresh over HTTP", refresh_over_http),
    ("planning core", lambda _: planning_core()),
    ("apply 1,000", apply_1000),
]


def main() -> None:
    compileall.compile_dir(REPO / "reconciler", quiet=1)  # as `pip install` leaves the package
    gc.set_threshold(*COLLECT_EVERY)  # in-process runs collect garbage as the command does
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as directory:
        for label, case in CASES:
            sys.stderr.write(f"running: {label}…\n")
            work = Path(directory) / "".join(c if c.isalnum() else "-" for c in label)
            work.mkdir()
            rows += case(work)
    about = machine()
    lines = [
        f"Machine: {about['cpus']} CPUs, Python {about['python']}, {about['platform']}",
        "",
        "| case | measured | target | met |",
        "|---|---|---|---|",
    ]
    for row in rows:
        met = {True: "yes", False: "**no**", None: "-"}[row.met]
        lines.append(f"| {row.case} | {row.measured} | {row.target} | {met} |")
    print("\n".join(lines))
    RESULTS.write_text(
        json.dumps({"machine": about, "rows": [asdict(r) for r in rows]}, indent=2) + "\n"
    )
    sys.stderr.write(f"wrote {RESULTS.relative_to(REPO)}\n")
