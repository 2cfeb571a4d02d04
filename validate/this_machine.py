#!/usr/bin/env python3
"""A device file for the machine this runs on, measured and calibrated, in one command.

    validate/this_machine.py BUILD_DIR [--quick] [--repeat R] [--cpu-time] [--sweep FILE.csv]
                             [--sweep-out FILE.csv] [-o FILE.yaml] [--id ID] [--year YEAR]

1. Reads the machine: /proc/cpuinfo (model name, vendor, SIMD flags, clock), lscpu (sockets,
   cores, the largest clock, the L3 and how many instances share it) and /proc/meminfo.
2. Measures it: BUILD_DIR/validate/bench_cpu [--quick] writes validate/cpu-ID-DATE.csv (about
   15 s quick, 5 min full on a 2-core machine); --repeat R sweeps R times and keeps each
   point's least time (on a shared machine, the one others' load least disturbed); --sweep takes
   a sweep measured before instead; --sweep-out names the file written; --once (for tests)
   times each point by one call; --cpu-time times by the thread's CPU time, not the wall clock
   (a machine shared with busier processes: pass it to compare_mlp.py too).
3. Writes the device (id, peak from cores x clock x FLOP per cycle of the widest SIMD, memory,
   L3), each number with its source, and fits it with `mlsim calibrate SWEEP --threads 1
   --stream update` (one thread, the in-place update rows: as issue 5's MNIST check runs).
4. Writes FILE.yaml (default hwdb-user/cpu/ID.yaml) only once mlsim has loaded the whole file
   (`mlsim hw show`), through a temporary name renamed into place: nothing half-written.

Then `validate/compare_mlp.py BUILD_DIR --device-file FILE.yaml` trains the MNIST MLP here and
compares it with mlsim's prediction on this device. Exit 0 on success, 1 on failure (said on
stderr), 2 on bad usage.
"""
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# FP32 FLOP per cycle per core of the widest vector FMA the flags name: two FMA pipes x lanes x 2
# (multiply and add). An upper bound: some parts have one 512-bit pipe (Intel's Xeon Bronze and
# Silver, Intel 64 and IA-32 Optimization Reference Manual, sec. 2.2) or split 512-bit ops in two
# (AMD Zen 4): the fit's gemm_efficiency is what the BLAS reaches of this bound.
SIMD = (("avx512f", 64, "two 512-bit FMA pipes x 16 fp32 lanes x 2"),
        ("fma", 32, "two 256-bit FMA pipes x 8 fp32 lanes x 2 (AVX2 with FMA3)"),
        ("avx", 16, "one 256-bit add and one multiply pipe x 8 fp32 lanes (AVX, no FMA)"),
        ("asimd", 16, "two 128-bit NEON FMA pipes x 4 fp32 lanes x 2"),
        ("sse2", 8, "one 128-bit add and one multiply pipe x 4 fp32 lanes (SSE2)"))


def fail(msg):
    sys.stderr.write("this_machine: error: %s\n" % msg)
    sys.exit(1)


def cpuinfo():
    """The first processor's fields of /proc/cpuinfo, and the largest 'cpu MHz' of any."""
    fields, mhz = {}, 0.0
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, sep, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if not sep:
                continue
            fields.setdefault(key, value)
            if key == "cpu MHz":
                mhz = max(mhz, float(value))
    fields["max cpu MHz"] = mhz
    return fields


def lscpu():
    """lscpu's 'Key: value' lines ({} where lscpu is missing)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, env=dict(
            os.environ, LC_ALL="C"), timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {k.strip(): v.strip() for k, _, v in (l.partition(":") for l in out.splitlines())}


def l3_per_instance(ls):
    """(bytes, source text) of one L3 instance: the cache one thread streams from, or (0, None)."""
    m = re.match(r"([0-9.]+) (KiB|MiB|GiB)(?: \((\d+) instances?\))?", ls.get("L3 cache", ""))
    if m:
        total = float(m.group(1)) * {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[m.group(2)]
        n = int(m.group(3) or 1)
        return total / n, "lscpu 'L3 cache: %s' (per instance)" % ls["L3 cache"]
    path = "/sys/devices/system/cpu/cpu0/cache/index3/size"
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return 0, None
    m = re.fullmatch(r"(\d+)K", text)
    return (int(m.group(1)) * 1024, "%s: %s" % (path, text)) if m else (0, None)


def mem_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    fail("/proc/meminfo has no MemTotal")


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "cpu"


def machine(opts):
    """What the device file says of this machine, each figure with its source."""
    ci, ls = cpuinfo(), lscpu()
    model = ci.get("model name") or ls.get("Model name") or "unknown CPU"
    logical = os.sysconf("SC_NPROCESSORS_ONLN")
    try:
        cores = int(ls["Socket(s)"]) * int(ls["Core(s) per socket"])
        cores_src = "lscpu: %s socket(s) x %s core(s) per socket (%d online CPUs)" % (
            ls["Socket(s)"], ls["Core(s) per socket"], logical)
    except (KeyError, ValueError):
        cores, cores_src = logical, "sysconf(_SC_NPROCESSORS_ONLN): %d online CPUs" % logical
    try:
        mhz, mhz_src = float(ls["CPU max MHz"]), "lscpu 'CPU max MHz: %s'" % ls["CPU max MHz"]
    except (KeyError, ValueError):
        mhz = ci["max cpu MHz"]
        mhz_src = "/proc/cpuinfo 'cpu MHz: %.3f' (the largest of any CPU; no 'CPU max MHz' in " \
            "lscpu, so a nominal clock that boost may exceed)" % mhz
    if not mhz > 0:
        fail("no clock in /proc/cpuinfo or lscpu")
    flags = set(ci.get("flags", ci.get("Features", "")).split())
    simd = next((s for s in SIMD if s[0] in flags), None)
    if not simd:
        fail("/proc/cpuinfo names none of %s" % ", ".join(s[0] for s in SIMD))
    onchip, onchip_src = l3_per_instance(ls)
    vendor = {"AuthenticAMD": "AMD", "GenuineIntel": "Intel"}.get(ci.get("vendor_id", ""),
                                                                   ci.get("vendor_id", "unknown"))
    ident = opts["id"] or "%s-%dcpu" % (slug(model), logical)
    return {"id": ident, "model": model, "vendor": vendor, "cores": cores, "cores_src": cores_src,
            "mhz": mhz, "mhz_src": mhz_src, "simd": simd, "onchip": onchip,
            "onchip_src": onchip_src, "mem": mem_total(), "logical": logical,
            "family": "family %s model %s" % (ci.get("cpu family", "?"), ci.get("model", "?"))}


def read_sweep(path):
    """The '#' header (dict) and the memory rows (kind, bytes, seconds) of a bench_cpu CSV."""
    head, rows, cols = {}, [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                k, _, v = line[1:].partition(":")
                head.setdefault(k.strip(), v.strip())
            elif line and cols is None:
                cols = line.split(",")
            elif line:
                r = dict(zip(cols, line.split(",")))
                if r.get("kind") in ("triad", "update"):
                    rows.append((r["kind"], float(r["bytes"]), float(r["seconds"])))
    return head, rows


def dram_bandwidth(rows, onchip):
    """The fastest stream beyond the on-chip size (bytes/s, its kind and size): a floor under
    the DRAM peak, which without root (dmidecode) nothing on the machine states."""
    beyond = [r for r in rows if r[1] > onchip]
    if not beyond:
        fail("the sweep has no triad or update rows beyond %.4g MB of L3" % (onchip / 1e6))
    return max((b / s, k, b) for k, b, s in beyond)


def device_yaml(m, sweep, head, bw):
    """The device file before calibration: every figure and the source it came from."""
    fp32 = m["cores"] * m["mhz"] * 1e6 * m["simd"][1]
    date = head.get("date", "unknown date")
    year = m["year"]
    lines = [
        "# This machine, MEASURED by validate/this_machine.py on %s: %s (%s), %d online CPUs."
        % (date, m["model"], m["family"], m["logical"]),
        "# Peak and bandwidth are bounds derived here, not datasheet figures; the calibration "
        "below is",
        "# what one thread reaches of them (gemm_efficiency, memory_efficiency).",
        "id: %s" % m["id"],
        "name: %s" % quote("%s, %d CPUs (this machine, measured)" % (m["model"], m["logical"])),
        "kind: cpu",
        "vendor: %s" % quote(m["vendor"]),
        "year: %d" % year,
        "peak:",
        "  fp64: %.6g GFLOPS" % (fp32 / 2e9),
        "  fp32: %.6g GFLOPS" % (fp32 / 1e9),
        "memory:",
        "  capacity: %d B" % m["mem"],
        "  bandwidth: %.4g GB/s" % (bw[0] / 1e9),
    ]
    if m["onchip"] > 0:
        lines.append("  on_chip: %d B" % m["onchip"])
    lines += ["cores: %d" % m["cores"], "clock: %.6g MHz" % m["mhz"]]
    srcs = [
        ("[cores]", "Measured: %s" % m["cores_src"], None),
        ("[clock]", "Measured: %s" % m["mhz_src"], None),
        ("[memory.capacity]", "Measured: /proc/meminfo MemTotal", None),
        ("[peak]", "Derived: %d cores x %.6g MHz x %d fp32 FLOP/cycle (%s; /proc/cpuinfo flags "
         "name '%s'); fp64 half of it" % (m["cores"], m["mhz"], m["simd"][1], m["simd"][2],
                                          m["simd"][0]),
         "An upper bound: the widest vector unit the flags name, at two pipes; the fitted "
         "gemm_efficiency is the share one thread of this BLAS reaches."),
        ("[memory.bandwidth]", "Measured: the fastest %s row beyond the L3 in %s (%.4g MB)"
         % (bw[1], sweep, bw[2] / 1e6),
         "A floor under the DRAM peak (which needs dmidecode, as root, to derive): the fitted "
         "memory_efficiency is relative to it."),
        ("[year]", "The year of the measurement (%s), not of the part: /proc/cpuinfo names no "
         "release year" % date if not m["year_given"] else "Given: --year %d" % year, None),
    ]
    if m["onchip"] > 0:
        srcs.append(("[memory.on_chip]", "Measured: %s" % m["onchip_src"],
                     "One L3 instance: the cache one thread streams from."))
    return lines, srcs


def write_device(path, lines, srcs, block=None):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
        if block:
            f.write(block)
        f.write("sources:\n")
        for key, cite, note in srcs:
            f.write("  - for: %s\n    cite: %s\n" % (key, quote(cite)))
            if note:
                f.write("    note: %s\n" % quote(note))


def quote(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def calibrate(mlsim, sweep, ident, hwdb, tmp):
    """The calibration block (its '# Fitted by' comment and fields) and the sources entry."""
    block = os.path.join(tmp, "block.yaml")
    p = subprocess.run([mlsim, "calibrate", shown(sweep), "--device", ident, "--hwdb", hwdb,
                        "--precision", "fp32", "--threads", "1", "--stream", "update", "--quiet",
                        "-o", block], capture_output=True, text=True, timeout=300, cwd=ROOT)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        fail("mlsim calibrate refused %s" % sweep)
    sys.stdout.write(p.stdout)
    with open(block) as f:
        text = f.read()
    fields = text[:text.index("# and under sources:")]
    cite = re.search(r'^#    cite: "(.*)"$', text, re.M).group(1)
    return fields, ("[calibration]", cite, "GEMMs warm and cold fitted together; memory tiers "
                    "fitted to the in-place update rows (20 B/element); one thread.")


def shown(path):
    """PATH as the device file cites it: from the source root where it lies under it."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return os.path.abspath(path) if rel.startswith("..") else rel


def run_sweep(build, opts, ident):
    bench = os.path.join(build, "validate", "bench_cpu")
    if not os.access(bench, os.X_OK):
        fail("%s not built (it needs OpenBLAS)" % bench)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    out = opts["sweep-out"] or os.path.join(ROOT, "validate", "cpu-%s-%s.csv" % (ident, date))
    runs, repeat = [], int(opts["repeat"])
    for i in range(repeat):
        part = "%s.%d.part" % (out, i)
        cmd = [bench, "--threads", "1", "-o", part] + [
            "--" + k for k in ("quick", "once", "cpu-time") if opts[k]]
        sys.stderr.write("this_machine: sweep %d of %d: %s\n" % (i + 1, repeat, " ".join(cmd)))
        if subprocess.run(cmd).returncode != 0:
            fail("bench_cpu failed")
        with open(part) as f:
            runs.append(f.read().splitlines())
        os.remove(part)
    with open(out + ".part", "w") as f:
        f.write("\n".join(least(runs)) + "\n")
    os.replace(out + ".part", out)
    return out


def least(runs):
    """The first sweep's lines, each point's seconds the least of the sweeps' (same rows, same
    order: bench_cpu's sweep is fixed), with a '#' line saying so."""
    lines, cols = [], None
    for i, line in enumerate(runs[0]):
        if line.startswith("#") or not line:
            lines.append(line)
            continue
        if cols is None:
            cols = line.split(",")
            if len(runs) > 1:
                lines.append("# repeats: %d sweeps, each point's least seconds" % len(runs))
            lines.append(line)
            continue
        if any(len(r) != len(runs[0]) for r in runs):
            fail("the sweeps differ in their rows")
        rows = [r[i].split(",") for r in runs]
        best = min(rows, key=lambda r: float(r[cols.index("seconds")]))
        lines.append(",".join(best))
    return lines


def parse(argv):
    opts = {"quick": False, "sweep": None, "out": None, "id": None, "year": None, "repeat": "1",
            "once": False, "cpu-time": False, "sweep-out": None}
    args = list(argv)
    if not args or args[0].startswith("-"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    opts["build"] = args.pop(0)
    while args:
        a = args.pop(0)
        if a in ("--quick", "--once", "--cpu-time"):
            opts[a[2:]] = True
        elif a in ("--sweep", "--sweep-out", "-o", "--id", "--year", "--repeat") and args:
            opts[{"-o": "out"}.get(a, a[2:])] = args.pop(0)
        else:
            sys.stderr.write("this_machine: bad argument '%s'\n%s" % (a, __doc__))
            sys.exit(2)
    if opts["id"] and not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", opts["id"]):
        sys.stderr.write("this_machine: --id: lower-case letters, digits, '.' and '-'\n")
        sys.exit(2)
    if not re.fullmatch(r"[1-9][0-9]?", opts["repeat"]):
        sys.stderr.write("this_machine: --repeat: 1 to 99 sweeps\n")
        sys.exit(2)
    if opts["year"] and not re.fullmatch(r"(19[4-9]|20\d)\d", opts["year"]):
        sys.stderr.write("this_machine: --year: a year from 1940\n")
        sys.exit(2)
    return opts


def main():
    opts = parse(sys.argv[1:])
    mlsim = os.path.abspath(os.path.join(opts["build"], "mlsim"))
    m = machine(opts)
    sweep = opts["sweep"] or run_sweep(opts["build"], opts, m["id"])
    try:
        head, rows = read_sweep(sweep)
    except OSError as e:
        fail("%s: %s" % (sweep, e.strerror))
    except (KeyError, ValueError, TypeError):
        fail("%s: not a bench_cpu CSV (kind, bytes and seconds columns)" % sweep)
    year = opts["year"] or head.get("date", "")[:4]
    m["year"], m["year_given"] = (int(year) if year.isdigit() else
                                  datetime.date.today().year), bool(opts["year"])
    bw = dram_bandwidth(rows, m["onchip"])
    lines, srcs = device_yaml(m, shown(sweep), head, bw)
    out = opts["out"] or os.path.join("hwdb-user", "cpu", m["id"] + ".yaml")
    if os.path.basename(out) != m["id"] + ".yaml":
        fail("%s: a device file's name must be its id: %s.yaml" % (out, m["id"]))
    with tempfile.TemporaryDirectory() as tmp:
        hwdb = os.path.join(tmp, "hwdb")
        os.makedirs(os.path.join(hwdb, "cpu"))
        dev = os.path.join(hwdb, "cpu", m["id"] + ".yaml")
        write_device(dev, lines, srcs)
        block, cal_src = calibrate(mlsim, sweep, m["id"], hwdb, tmp)
        write_device(dev, lines, srcs + [cal_src], block)
        p = subprocess.run([mlsim, "hw", "show", m["id"], "--hwdb", hwdb], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            fail("mlsim does not load the device file it was given")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        fd, part = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(out)), suffix=".part")
        os.close(fd)
        shutil.copyfile(dev, part)
        os.chmod(part, 0o644)  # mkstemp's 0600 is for the temporary, not the device file
        os.replace(part, out)
    print("wrote %s (device %s, calibrated from %s)" % (out, m["id"], sweep))
    print("next: validate/compare_mlp.py %s --device-file %s" % (opts["build"], out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
