#!/usr/bin/env python3
"""`make bench`: qcpu's harvest next to a plain QMP loop over the same matrix, in one run.

Both sides harvest every machine type x CPU model of qemu-system-x86_64 under TCG and, when
/dev/kvm works, KVM, with the same number of parallel QEMU processes and the same QMP commands
(see plain_qmp_loop.py). Rounds alternate between the two so that machine noise hits both.
Prints a Markdown report and writes it to --out (docs/benchmarks.md).
"""
import argparse, datetime, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plain_qmp_loop import Session  # noqa: E402

SUMMARY = re.compile(
    r"wall time ([\d.]+) s \(harvest ([\d.]+) s, write ([\d.]+) s\); "
    r"waiting on QEMU ([\d.]+) s of ([\d.]+) s in sessions")


def kvm_usable():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


def run_qcpu(qcpu, qemu, accels, jobs, out):
    args = [qcpu, "harvest", "--qemu", qemu, "--jobs", str(jobs), "-o", out]
    for a in accels:
        args += ["--accel", a]
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    p = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    m = SUMMARY.search(p.stderr)
    if not m:
        sys.exit("cannot read qcpu's summary:\n" + p.stderr)
    wall, harvest, write, wait, sessions = map(float, m.groups())
    return {"wall": wall, "write": write, "wait": wait, "session": sessions,
            "size": os.path.getsize(out)}


def run_loop(qemu, accels, jobs):
    here = os.path.dirname(os.path.abspath(__file__))
    args = [sys.executable, os.path.join(here, "plain_qmp_loop.py"), "--qemu", qemu, "--jobs", str(jobs)]
    for a in accels:
        args += ["--accel", a]
    p = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def live_question(qemu, machine, model):
    """The same model-detail question asked the live way: start QEMU, ask, quit."""
    s = Session(qemu, machine, "tcg")
    s.cmd("query-cpu-definitions")
    s.cmd("query-cpu-model-expansion", {"type": "full", "model": {"name": model}})
    s.cmd("query-cpu-model-expansion", {"type": "static", "model": {"name": model}})
    s.close()


def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return sorted(out)


def query_section(a):
    """Query latency: in-process, the CLI end to end, and a live QEMU, on the same question."""
    snapshot, model, machine = a.snapshot, "Cascadelake-Server", "pc-i440fx-3.1"
    bench = os.path.join(os.path.dirname(a.qcpu), "qcpu-bench")
    inproc = json.loads(subprocess.run([bench, snapshot, model, machine, "2112"], capture_output=True,
                                       text=True, check=True).stdout)
    cli_args = [a.qcpu, "show", model, "--machine", machine, "--format", "json", "--snapshot", snapshot]
    cli = timed(lambda: subprocess.run(cli_args, capture_output=True, check=True), 30)
    live = timed(lambda: live_question(a.qemu, machine, model), 15)
    med = statistics.median
    pct = lambda xs, q: xs[min(len(xs) - 1, int(len(xs) * q))]
    return [
        "## Query latency",
        "",
        f"The model-detail question (`{model}` on `{machine}`, TCG: definition, features, identity and other props, "
        "static expansion, changes against the newest machine type of the family), three ways. In-process: "
        f"`CPUQuery.detail` in `qcpu-bench`, {inproc['iterations']} questions rotating over every model on four "
        "machine types. CLI: `qcpu show ... --format json --snapshot` run 30 times, process start included. "
        "Live: a minimal Python QMP client starting a paused QEMU with that machine type and asking "
        "`query-cpu-definitions` and both expansions, then `quit`, 15 times.",
        "",
        "| way | median | p99 (in-process) / max | ratio to live (median) |",
        "|---|---:|---:|---:|",
        f"| in-process (`CPUQuery.detail`) | {inproc['p50_us'] / 1000:.3f} ms | {inproc['p99_us'] / 1000:.3f} ms | "
        f"{med(live) * 1e6 / inproc['p50_us']:.0f}x faster |",
        f"| `qcpu show` end to end | {med(cli) * 1000:.1f} ms | {cli[-1] * 1000:.1f} ms | {med(live) / med(cli):.1f}x faster |",
        f"| live QEMU | {med(live) * 1000:.1f} ms | {live[-1] * 1000:.1f} ms | 1x |",
        "",
        f"First question in a new process (opening the snapshot, loading shared tables): {inproc['first_us'] / 1000:.1f} ms.",
        "Targets (issue: query): in-process p99 under 1 ms; the CLI at least 3x faster than the live probe.",
        "",
    ]


def diff_section(a):
    """A full release diff with the ABI gate, of the two shipped x86_64 snapshots."""
    new = os.path.join(os.path.dirname(a.snapshot), "qemu-10.0.2.sqlite")
    args = [a.qcpu, "diff", "--abi", a.snapshot, new]
    runs = timed(lambda: subprocess.run(args, capture_output=True), 5)
    out = subprocess.run(args, capture_output=True, text=True).stdout
    compared = next((l.split()[1] for l in out.splitlines() if l.startswith("ABI:")), "?")
    return [
        "## Release diff",
        "",
        f"`qcpu diff --abi {a.snapshot} {new}` (QEMU 7.2.22 against 10.0.2: catalogue changes and "
        f"{compared} expansions compared prop by prop: TCG rows and the named models' KVM rows), process start included, 5 runs.",
        "",
        "| measure | median | max |",
        "|---|---:|---:|",
        f"| release diff with ABI gate | {statistics.median(runs):.2f} s | {runs[-1]:.2f} s |",
        "",
        "Target (issue: diffs): under 1 s. qcpu does not load the snapshots whole: it lists each file's "
        "machine types, CPU definitions and expansion keys with their property-set ids, joins the keys, "
        "decodes only the property sets of expansions both files have, and compares each distinct pair "
        "of sets once.",
        "",
    ]


# The QEMU releases of other Debian suites that make snapshots harvests (scripts/harvest-release.sh).
OTHER_RELEASES = ["5.2", "10.0.13", "11.1.3"]
INSTALLED_BINARIES = ["/usr/bin/qemu-system-" + arch for arch in ("x86_64", "aarch64", "ppc64", "s390x", "riscv64")]


def version_key(path):
    name = os.path.basename(path)[len("qemu-"):-len(".sqlite")]
    return [int(x) for x in name.split(".")]


def releases_section(a):
    """Every shipped release regenerated as `make snapshots` does (one at a time, niced, into a
    temporary directory), timed, and checked byte for byte against Snapshots/SHA256SUMS; then
    `qcpu diff --abi` of each consecutive pair of the shipped files."""
    snapdir = os.path.dirname(os.path.abspath(a.snapshot))
    root = os.path.dirname(snapdir)
    sums = {}
    with open(os.path.join(snapdir, "SHA256SUMS")) as f:
        for line in f:
            digest, name = line.split()
            sums[name] = digest
    kvm = ["--accel", "kvm", "--kvm-models"] if kvm_usable() else []
    backports = os.path.join(root, "vendor/qemu-backports/usr/bin/qemu-system-x86_64")
    rows, total = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        def harvest(label, args, env, out):
            start = time.monotonic()
            p = subprocess.run(["nice", "-n", "10"] + args, env=env, capture_output=True, text=True)
            took = time.monotonic() - start
            if p.returncode != 0:
                sys.exit(f"harvest of {label} failed:\n{p.stderr}")
            return took, out or p.stdout.strip().splitlines()[-1]

        jobs = []
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(int(os.stat(INSTALLED_BINARIES[0]).st_mtime)))
        args = [a.qcpu, "harvest", "--quiet", "--accel", "tcg"] + kvm
        for b in INSTALLED_BINARIES:
            args += ["--qemu", b]
        jobs.append(("7.2.22 (installed)", args + ["-o", os.path.join(tmp, "qemu-7.2.22.sqlite")], env,
                     os.path.join(tmp, "qemu-7.2.22.sqlite")))
        if os.path.exists(backports):
            env10 = dict(os.environ, SOURCE_DATE_EPOCH=str(int(os.stat(backports).st_mtime)))
            out10 = os.path.join(tmp, "qemu-10.0.2.sqlite")
            jobs.append(("10.0.2 (bookworm-backports)", [a.qcpu, "harvest", "--quiet", "--accel", "tcg"] + kvm
                         + ["--qemu", backports, "--qemu-arg", "-L", "--qemu-arg",
                            os.path.join(root, "vendor/qemu-backports/usr/share/qemu"), "-o", out10], env10, out10))
        for r in OTHER_RELEASES:
            jobs.append((r, [os.path.join(root, "scripts/harvest-release.sh"), r, a.qcpu, tmp], dict(os.environ), None))
        for label, args, env, out in jobs:
            took, path = harvest(label, args, env, out)
            total += took
            name = os.path.basename(path)
            digest = subprocess.run(["sha256sum", path], capture_output=True, text=True).stdout.split()[0]
            counts = json.loads(subprocess.run([a.qcpu, "info", path, "--format", "json"], capture_output=True,
                                               text=True, check=True).stdout)["counts"]
            same = "yes" if sums.get(name) == digest else "**no**"
            rows.append(f"| {label} | {counts['binaries']} | {counts['sessions']} | {took:.1f} s | "
                        f"{os.path.getsize(path) / 1e6:.2f} MB | {same} |")
            print(f"release {label}: {took:.1f} s", file=sys.stderr)

    shipped = sorted((os.path.join(snapdir, n) for n in os.listdir(snapdir) if n.endswith(".sqlite")), key=version_key)
    diffs = []
    for old, new in zip(shipped, shipped[1:]):
        args = [a.qcpu, "diff", "--abi", old, new]
        runs = timed(lambda: subprocess.run(args, capture_output=True), 5)
        diffs.append(f"| {os.path.basename(old)} → {os.path.basename(new)} | {statistics.median(runs):.2f} s | {runs[-1]:.2f} s |")
    return [
        "## Every release: harvest and diff",
        "",
        "Each shipped snapshot regenerated as `make snapshots` does it (TCG, plus the named models' KVM rows "
        "for 7.2.22 and 10.0.2 when /dev/kvm works; one release at a time, `nice -n 10`, "
        f"{os.cpu_count()} QEMU processes at a time), then compared byte for byte with `Snapshots/SHA256SUMS`.",
        "",
        "| release | binaries | sessions | harvest (write included) | size | same bytes as shipped |",
        "|---|---:|---:|---:|---:|---|",
    ] + rows + [
        f"| **all** | | | **{total:.1f} s** | | |",
        "",
        "`qcpu diff --abi OLD NEW` of each consecutive pair of shipped snapshots, process start included, 5 runs:",
        "",
        "| pair | median | max |",
        "|---|---:|---:|",
    ] + diffs + [
        "",
        "Target (issue: releases): each pair under 1 s.",
        "",
    ]


def s390x_section(a):
    """QEMU's own s390x model comparison and baseline: qcpu offline (a process per question) against
    what libvirt's hypervisor-cpu-compare/-baseline do (start QEMU with -machine none and ask it)."""
    qemu = "/usr/bin/qemu-system-s390x"
    if not os.access(qemu, os.X_OK):
        return ["## s390x model comparison and baseline", "", f"Not measured: {qemu} is not installed.", ""]
    pair = {"modela": {"name": "z13s"}, "modelb": {"name": "z14"}}
    rows, agree = [], []
    for command, qmp in [("model-compare", "query-cpu-model-comparison"), ("model-baseline", "query-cpu-model-baseline")]:
        args = [a.qcpu, command, "z13s", "z14", "--snapshot", a.snapshot, "--format", "json"]
        mine = json.loads(subprocess.run(args, capture_output=True, text=True).stdout)
        offline = timed(lambda: subprocess.run(args, capture_output=True), 20)
        answers = []

        def ask():
            session = Session(qemu, "none", "tcg")
            try:
                answers.append(session.cmd(qmp, pair)["return"])
            finally:
                session.close()
        live = timed(ask, 10)
        mine.pop("schema")
        agree.append(all(x == mine for x in answers))
        med_off, med_live = statistics.median(offline), statistics.median(live)
        rows.append(f"| {command} z13s z14 | {med_off * 1000:.1f} ms | {med_live * 1000:.1f} ms | {med_live / med_off:.1f}x |")
    return [
        "## s390x model comparison and baseline",
        "",
        "`qcpu model-compare` / `model-baseline` of z13s and z14 from the shipped snapshot (process start "
        "included, 20 runs) against a fresh `qemu-system-s390x -machine none` (TCG) asked "
        "`query-cpu-model-comparison` / `-baseline` over QMP and quit (10 runs), as libvirt's "
        "hypervisor-cpu-compare/-baseline do. Medians.",
        "",
        "| question | qcpu offline | live QEMU | ratio |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"Answers equal to QEMU's (result and responsible-properties in order; baseline name and props): "
        f"{'yes' if all(agree) else 'NO'}. The test suite checks every pair of the 78 models and 400 "
        "pairs with switched features.",
        "",
    ]


def live_unavailable(qemu, machine, model):
    """The live way to preview -cpu MODEL,enforce: start a paused QEMU with the model under KVM
    and read the realized CPU's unavailable-features (None when QEMU does not start)."""
    try:
        s = Session(qemu, machine, "kvm", ["-cpu", model])
    except EOFError:
        return None
    try:
        path = s.cmd("query-cpus-fast")["return"][0]["qom-path"]
        return sorted(s.cmd("qom-get", {"path": path, "property": "unavailable-features"})["return"])
    finally:
        s.close()


def host_section(a):
    """Enforce preview of every model for one host, offline and live; baseline of 100 records."""
    machine = "pc-q35-7.2"
    with tempfile.TemporaryDirectory() as tmp:
        record = os.path.join(tmp, "host.sqlite")
        env = dict(os.environ, SOURCE_DATE_EPOCH="0")
        live = kvm_usable()
        t = time.monotonic()
        if live:
            subprocess.run([a.qcpu, "host", "capture", "--qemu", a.qemu, "-q", "-o", record], env=env, check=True)
            origin = "captured on this machine (`qcpu host capture`, every machine type)"
        else:
            subprocess.run([a.qcpu, "host", "capture", "--replay", a.host_fixture, "-q", "-o", record], env=env, check=True)
            origin = "replayed from the recorded capture (no usable /dev/kvm here)"
        capture = time.monotonic() - t
        hosts = os.path.join(tmp, "hosts")
        os.makedirs(hosts)
        for i in range(100):
            os.link(record, os.path.join(hosts, f"host{i:03}.sqlite"))
        inproc = json.loads(subprocess.run([a.bench, "host", record, machine, hosts], capture_output=True,
                                           text=True, check=True).stdout)
        args = [a.qcpu, "models", "--host", record, "--machine", machine, "--format", "json"]
        cli = timed(lambda: subprocess.run(args, capture_output=True, check=True), 11)
        out = json.loads(subprocess.run(args, capture_output=True, check=True).stdout)
        models = [m["name"] for m in out["hosts"][0]["models"]]
        offline = {m["name"]: m["blockers"] for m in out["hosts"][0]["models"]}
        lines = [
            "## Host CPUs: enforce preview and baseline",
            "",
            f"One host record, {origin}, {capture:.1f} s. Enforce preview: every model on {machine} "
            f"({len(models)} models) marked usable or not with its blockers.",
            "",
        ]
        if live:
            def live_all():
                return {m: live_unavailable(a.qemu, machine, m) for m in models}
            t = time.monotonic()
            answers = live_all()
            live_s = time.monotonic() - t
            agree = sum(1 for m in models if answers[m] is not None and
                        set(answers[m]) == set(offline[m]))
            aborted = sum(1 for m in models if answers[m] is None)
            shown = json.loads(subprocess.run([a.qcpu, "host", "show", "--host", record, "--machine", machine,
                                               "--format", "json"], capture_output=True, check=True).stdout)
            refused = shown["hosts"][0].get("runtime-refused") or []
            lines += [
                "| way | median | ratio to live |",
                "|---|---:|---:|",
                f"| in-process (`HostRecordFile` + `blockers`, record opened afresh) | {inproc['preview_ms']:.1f} ms | "
                f"{live_s * 1000 / inproc['preview_ms']:.0f}x faster |",
                f"| `qcpu models --host` end to end | {statistics.median(cli) * 1000:.1f} ms | "
                f"{live_s / statistics.median(cli):.0f}x faster |",
                f"| live: one paused QEMU per model under KVM, reading `unavailable-features` (one run) | {live_s * 1000:.0f} ms | 1x |",
                "",
                f"The live answers agreed with the offline ones for {agree} of the {len(models) - aborted} models "
                "QEMU started (as sets: QEMU lists some features more than once, e.g. `mpx` three times for Denverton)"
                + (f"; {aborted} models did not start at all (QEMU exited before answering): on this host KVM offers "
                   f"features a running vCPU refuses ({', '.join(refused) or 'none recorded'}), and QEMU writes them "
                   "when it creates the vCPU, so `-cpu MODEL` of a model carrying them aborts whatever `enforce` says."
                   if aborted else "."),
            ]
        else:
            lines += [
                "| way | median |",
                "|---|---:|",
                f"| in-process | {inproc['preview_ms']:.1f} ms |",
                f"| `qcpu models --host` end to end | {statistics.median(cli) * 1000:.1f} ms |",
                "",
                "No usable /dev/kvm here: the live way (a paused QEMU per model under KVM) was not measured.",
            ]
        lines += capture_rows(a, env) if live else [
            "", "No usable /dev/kvm here: capture time was not measured.", ""]
        lines += [
            "",
            f"Baseline of {inproc['hosts']} host records (the record above, linked 100 times; all but the first "
            f"get 3 seeded-random features removed in memory so the hosts differ): {inproc['baseline_ms']:.0f} ms "
            f"median of 5, opening every record included ({inproc['baseline_ms'] / inproc['hosts']:.1f} ms per host); "
            f"the answer had {inproc['baseline_cpu_flags']} flags. QEMU has no x86 baseline command, and libvirt's "
            "hypervisor-cpu-baseline was not timed, so there is no live peer for this row.",
            "",
            "Targets (issue: host CPUs): enforce preview of all models under 50 ms offline, at least 50x faster than live.",
            "",
        ]
        return lines


def fleet_section(a):
    """Fleet questions over 100, 1,000 and 10,000 synthetic host records (qcpu-bench fleet)."""
    machine, sizes = "pc-q35-7.2", [100, 1000, 10000]
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    with tempfile.TemporaryDirectory() as tmp:
        record = os.path.join(tmp, "source.sqlite")
        if kvm_usable():
            subprocess.run([a.qcpu, "host", "capture", "--qemu", a.qemu, "--machine", machine, "-q", "-o", record],
                           env=env, check=True)
            origin = f"captured on this machine (`qcpu host capture --machine {machine}`)"
        else:
            subprocess.run([a.qcpu, "host", "capture", "--replay", a.host_fixture, "-q", "-o", record], env=env, check=True)
            origin = "replayed from the recorded capture (no usable /dev/kvm here)"
        rows, results = [], {}
        for n in sizes:
            hosts = os.path.join(tmp, f"hosts-{n}")
            subprocess.run([a.bench, "fleet", record, machine, str(n), hosts], capture_output=True, check=True)
            size = sum(os.path.getsize(os.path.join(hosts, f)) for f in os.listdir(hosts))
            base = [a.qcpu, "--host-dir", hosts, "--machine", machine]
            baseline_args = [a.qcpu, "baseline"] + base[1:] + ["--format", "plain"]
            models_args = [a.qcpu, "models"] + base[1:] + ["--format", "json"]
            table_args = [a.qcpu, "models"] + base[1:]
            for args in (baseline_args, models_args):  # warm the page cache
                subprocess.run(args, capture_output=True, check=True)
            runs = 7 if n < 10000 else 5
            baseline = timed(lambda: subprocess.run(baseline_args, capture_output=True, check=True), runs)
            models = timed(lambda: subprocess.run(models_args, capture_output=True, check=True), runs)
            table = timed(lambda: subprocess.run(table_args, capture_output=True, check=True), runs)
            view = json.loads(subprocess.run(models_args, capture_output=True, text=True, check=True).stdout)
            med = statistics.median
            results[n] = (med(baseline), med(models))
            rows.append(f"| {n:,} | {view['distinct-hosts']} | {size / 1e6:.0f} MB | {med(baseline) * 1000:.0f} ms "
                        f"({baseline[0] * 1000:.0f}-{baseline[-1] * 1000:.0f}) | {med(models) * 1000:.0f} ms "
                        f"({models[0] * 1000:.0f}-{models[-1] * 1000:.0f}) | {med(table) * 1000:.0f} ms | "
                        f"{med(baseline) / n * 1e6:.0f} / {med(models) / n * 1e6:.0f} us |")
        per_host = []
        for lo, hi in zip(sizes, sizes[1:]):
            (b0, m0), (b1, m1) = results[lo], results[hi]
            per_host.append(f"{lo:,} to {hi:,} hosts: {(b1 - b0) / (hi - lo) * 1e6:.0f} us per added host for "
                            f"`baseline`, {(m1 - m0) / (hi - lo) * 1e6:.0f} us for `models`")
        b10k, m10k = results[sizes[-1]]
    return [
        "## Fleets: questions over a directory of host records",
        "",
        f"A light host record {origin}; `qcpu-bench fleet` writes N records from it through `SnapshotWriter`: 20 "
        "CPUs (the real host, and 19 with 0 to 14 seeded-random CPU features taken out of its `host` expansions), "
        "a few of them common (weight 1/k), each host with one of three kernels, so hosts with equal facts have "
        "different files. Each command run end to end (process start, every file read, the release snapshot "
        f"opened once), {machine}, medians of 7 runs (5 at 10,000) after one warm-up, min-max in brackets. "
        "`distinct` is the fleet's count of different hosts on the machine type.",
        "",
        "| hosts | distinct | files | `baseline --host-dir` | `models --host-dir --format json` | `models` (table) | per host (baseline / models) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "How time grows: " + "; ".join(per_host) + ". The cost per added host is reading the file (one read of "
        "the whole file, its b-tree pages parsed without SQLite: meta, KVM sessions, the machine type's `host` "
        "expansion ids and the pages of the tables they resolve through, compared byte for byte with the hosts "
        "already seen); each distinct host is decoded once.",
        "",
        f"Targets (issue: fleets, 10,000 records, 2 cores): `baseline --host-dir` under 1 s "
        f"({'met' if b10k < 1 else 'NOT met'}: {b10k:.2f} s), `models --host-dir` under 2 s "
        f"({'met' if m10k < 2 else 'NOT met'}: {m10k:.2f} s).",
        "",
    ]


def capture_rows(a, env):
    """Capture time (median of 3) and record size of every machine type: this qcpu, and an older
    qcpu (full records, --old-qcpu) when given."""
    def capture(qcpu, machine=None):
        times, size = [], 0
        for _ in range(3):
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "h.sqlite")
                args = [qcpu, "host", "capture", "--qemu", a.qemu, "-q", "-o", out] + (["--machine", machine] if machine else [])
                t = time.monotonic()
                subprocess.run(args, env=env, check=True, capture_output=True)
                times.append(time.monotonic() - t)
                size = os.path.getsize(out)
        return statistics.median(times), size
    rows = [("this qcpu (light record)", a.qcpu)]
    if a.old_qcpu and os.access(a.old_qcpu, os.X_OK):
        rows.append(("qcpu before light records (full record, 686efa9)", a.old_qcpu))
    lines = ["", "Capture of this host (QEMU 7.2.22 under KVM, median of 3; 2 cores):", "",
             "| capture | every machine type | record size | pc-q35-7.2 only | record size |", "|---|---:|---:|---:|---:|"]
    for label, qcpu in rows:
        t_all, s_all = capture(qcpu)
        t_one, s_one = capture(qcpu, "pc-q35-7.2")
        lines.append(f"| {label} | {t_all:.2f} s | {s_all / 1024:.0f} KiB | {t_one:.2f} s | {s_one / 1024:.0f} KiB |")
    if len(rows) == 1:
        lines += ["", "The older qcpu was not given (`make bench OLD_QCPU=...`): no old row."]
    lines += ["", "Targets (issue 10): capture of every machine type <= 3 s on 2 cores; record <= 100 KB.", ""]
    return lines


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcpu", required=True)
    ap.add_argument("--qemu", default="/usr/bin/qemu-system-x86_64")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--out", default="docs/benchmarks.md")
    ap.add_argument("--snapshot", default="Snapshots/qemu-7.2.22.sqlite")
    ap.add_argument("--sections", default="harvest,query,diff,releases,host,fleet,s390x")
    ap.add_argument("--bench", default=".build/release/qcpu-bench")
    ap.add_argument("--host-fixture", default="Tests/QCPUTestSupport/Fixtures/host-x86_64")
    ap.add_argument("--old-qcpu", default=os.environ.get("OLD_QCPU"),
                    help="an older qcpu (full host records) to compare capture time and record size with")
    a = ap.parse_args()
    sections = a.sections.split(",")
    accels = ["tcg", "kvm"] if kvm_usable() else ["tcg"]
    qemu_version = subprocess.run([a.qemu, "--version"], capture_output=True, text=True).stdout.splitlines()[0]

    header = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {datetime.date.today().isoformat()}: {os.cpu_count()} cores "
        f"({cpu_model()}), {qemu_version}. Every number below is from that one run. "
        + ("libvirt is installed here, but its capabilities probe is not timed (libvirtd is started only by the tests)."
           if shutil.which("libvirtd") else "libvirt is not installed on this machine, so its probe is not measured."),
        "",
    ]
    body = []
    if "harvest" in sections:
        body += harvest_section(a, accels)
    if "query" in sections:
        body += query_section(a)
    if "diff" in sections:
        body += diff_section(a)
    if "releases" in sections:
        body += releases_section(a)
    if "host" in sections:
        body += host_section(a)
    if "fleet" in sections:
        body += fleet_section(a)
    if "s390x" in sections:
        body += s390x_section(a)
    report = "\n".join(header + body)
    # The "Fuzzing" section is written by hand after `make fuzz` runs; keep it.
    if os.path.exists(a.out):
        old = open(a.out).read()
        at = old.find("\n## Fuzzing")
        if at >= 0:
            report = report.rstrip("\n") + "\n" + old[at:]
    print(report)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(report)


def harvest_section(a, accels):
    qcpu_runs, loop_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            out = os.path.join(tmp, f"round{r}.sqlite")
            qcpu_runs.append(run_qcpu(a.qcpu, a.qemu, accels, a.jobs, out))
            loop_runs.append(run_loop(a.qemu, accels, a.jobs))
            print(f"round {r + 1}/{a.rounds}: qcpu {qcpu_runs[-1]['wall']:.2f} s, "
                  f"plain loop {loop_runs[-1]['wall_s']:.2f} s", file=sys.stderr)

    med = statistics.median
    q_wall = med(x["wall"] for x in qcpu_runs)
    l_wall = med(x["wall_s"] for x in loop_runs)
    wait_share = med(x["wait"] / x["session"] for x in qcpu_runs)
    size = qcpu_runs[-1]["size"]
    raw = loop_runs[-1]["raw_bytes"]
    sessions = loop_runs[-1]["sessions"]
    commands = loop_runs[-1]["commands"]

    return [
        "## Full x86_64 harvest",
        "",
        f"Every machine type x CPU model of `{os.path.basename(a.qemu)}` under {' and '.join(accels).upper()} "
        f"({sessions} QEMU processes, {commands} QMP commands, {a.jobs} at a time), medians of {a.rounds} "
        "alternating rounds: `qcpu harvest` "
        "(write included) against `bench/plain_qmp_loop.py`, a minimal Python driver sending the same "
        "commands with the same parallelism and storing nothing. The loop stands for QEMU's own work.",
        "",
        "| measure | qcpu harvest | plain QMP loop | ratio |",
        "|---|---:|---:|---:|",
        f"| wall time, median | {q_wall:.2f} s | {l_wall:.2f} s | {q_wall / l_wall:.2f}x |",
        "| wall time, each round | " + ", ".join("%.2f" % x["wall"] for x in qcpu_runs) + " s | "
        + ", ".join("%.2f" % x["wall_s"] for x in loop_runs) + " s | |",
        "| snapshot write (in qcpu's wall time) | %.2f s | | |" % med(x["write"] for x in qcpu_runs),
        f"| share of session time waiting on QEMU | {wait_share * 100:.0f} % | | |",
        f"| output size | {size / 1e6:.2f} MB snapshot | {raw / 1e6:.1f} MB raw QMP JSON | "
        f"{raw / size:.0f}x smaller |",
        "",
        "Targets (issue: harvester): qcpu within 1.1x of the plain loop; snapshot under 5 MB.",
        "",
    ]


if __name__ == "__main__":
    main()
