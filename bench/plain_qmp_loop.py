#!/usr/bin/env python3
"""Plain QMP loop: the minimal driver qcpu's harvest is benchmarked against.

It sends the same QMP commands over the same (machine type x accelerator)
matrix with the same number of parallel QEMU processes as `qcpu harvest`,
and does nothing else (no storage, no dedup): it stands for QEMU's own work.

  plain_qmp_loop.py --qemu /usr/bin/qemu-system-x86_64 --accel tcg --accel kvm \
      --jobs 2 [--dump raw.json]

Prints one JSON line with wall time, sessions, commands and raw reply bytes.
"""
import argparse, json, os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor


class Session:
    """One paused QEMU on -qmp stdio; `extra` adds arguments (e.g. -cpu MODEL).
    Raises EOFError (with the process reaped) when QEMU exits before answering."""
    def __init__(self, qemu, machine, accel, extra=()):
        self.p = subprocess.Popen(
            [qemu, "-machine", f"{machine},accel={accel}", "-S", "-nodefaults",
             "-no-user-config", "-display", "none", "-qmp", "stdio", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.n = 0
        self.raw = 0
        try:
            self.read()  # greeting
            self.cmd("qmp_capabilities")
        except EOFError:
            self.p.kill()
            self.p.wait()
            raise

    def read(self):
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise EOFError("qemu closed")
            self.raw += len(line)
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, execute, arguments=None):
        self.n += 1
        m = {"execute": execute, "id": self.n}
        if arguments is not None:
            m["arguments"] = arguments
        self.p.stdin.write(json.dumps(m).encode() + b"\n")
        self.p.stdin.flush()
        return self.read()

    def close(self):
        try:
            self.cmd("quit")
        except Exception:
            pass
        self.p.kill()
        self.p.wait()


def probe(qemu, machine, accel, static):
    s = Session(qemu, machine, accel)
    try:
        out = {"machine": machine, "accel": accel}
        defs = s.cmd("query-cpu-definitions").get("return", [])
        out["definitions"] = defs
        names = sorted(d["name"] for d in defs)
        out["full"] = {n: s.cmd("query-cpu-model-expansion",
                                {"type": "full", "model": {"name": n}}) for n in names}
        if static:
            out["static"] = {n: s.cmd("query-cpu-model-expansion",
                                      {"type": "static", "model": {"name": n}}) for n in names}
        if accel == "kvm":
            for n in ("host", "max"):
                if n in names:
                    out["full"][n + ",migratable=off"] = s.cmd(
                        "query-cpu-model-expansion",
                        {"type": "full", "model": {"name": n, "props": {"migratable": False}}})
        return out, s.n, s.raw
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--accel", action="append")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--no-static", action="store_true")
    ap.add_argument("--dump")
    a = ap.parse_args()
    accels = a.accel or ["tcg"]
    t0 = time.monotonic()
    # The same -machine none probe qcpu makes per binary.
    s = Session(a.qemu, "none", "kvm:tcg" if "kvm" in accels else "tcg")
    for c in ("query-version", "query-target", "query-kvm"):
        s.cmd(c)
    machines = sorted(m["name"] for m in s.cmd("query-machines")["return"])
    types = sorted({d["typename"] for d in s.cmd("query-cpu-definitions")["return"]})
    for t in types:
        s.cmd("qom-list-properties", {"typename": t})
    s.close()
    jobs = [(m, ac) for ac in accels for m in machines]
    with ThreadPoolExecutor(a.jobs) as ex:
        res = list(ex.map(lambda j: probe(a.qemu, j[0], j[1], not a.no_static), jobs))
    wall = time.monotonic() - t0
    if a.dump:
        with open(a.dump, "w") as f:
            json.dump([r[0] for r in res], f)
    print(json.dumps({"wall_s": round(wall, 3), "sessions": len(jobs),
                      "commands": sum(r[1] for r in res),
                      "raw_bytes": sum(r[2] for r in res)}))


if __name__ == "__main__":
    main()
