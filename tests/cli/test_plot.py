#!/usr/bin/env python3
"""End-to-end tests of `mlsim plot`: every chart rendered as PNG, its size and that it is not
blank, the data against `mlsim SCENARIO --format csv` and against the deck and hand calculations,
byte-identical reruns, the run without gnuplot, and bad usage and input.

Run as:  python3 tests/cli/test_plot.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only. Golden numbers come from the deck or a hand calculation in the
comments, never from mlsim's output. The last line printed is "N passed, N failed"; the exit
status is non-zero on failure. Charts without gnuplot on PATH are checked as data only.
"""
import csv
import json
import math
import io
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

import clitest

MLSIM, SRC = clitest.paths("test_plot.py")

TIMEOUT_S = 120
CHARTS = ["cost-table", "cpu-vs-gpu", "amdahl", "tpu-vs-gpu", "mu-eta", "roofline", "scaling",
          "timeline", "pareto", "search", "sweep"]
HAVE_GNUPLOT = shutil.which("gnuplot") is not None

# The deck's "State-Of-The-Art Training Costs" (lecture-experiments.md sec. 1), in its order.
DECK_USD = [325855, 368846, 480769, 833333, 841346, 855769, 1033756, 1346154, 1745014, 1745014,
            2293269, 6750000]


def run(*args, env=None):
    p = subprocess.run([MLSIM, *args], cwd=SRC, env=clitest.clean_env(env), capture_output=True,
                       timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def run_in(cwd, *args, env=None, preexec_fn=None):
    """mlsim ARGS run in the folder CWD."""
    p = subprocess.run([MLSIM, *args], cwd=cwd, env=clitest.clean_env(env), capture_output=True,
                       timeout=TIMEOUT_S, preexec_fn=preexec_fn)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def png_size(data):
    """Width and height from the IHDR chunk: 8-byte signature, length, 'IHDR', then W and H."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_pixels(data):
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG: the set of distinct pixel values."""
    w, h = png_size(data)
    depth, ctype, interlace = data[24], data[25], data[28]
    assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
    bpp = 3 if ctype == 2 else 4
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    assert len(raw) == h * (stride + 1)
    prev = bytearray(stride)
    seen = set()
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        if y % 8 == 0:
            for x in range(0, stride, bpp * 4):
                seen.add(bytes(line[x:x + bpp]))
        prev = line
    return seen


class PlotAll(unittest.TestCase):
    """One `mlsim plot all` (PNG only) shared by the tests of this class, and a rerun."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "a")
        cls.out2 = os.path.join(cls.tmp.name, "b")
        cls.rc, cls.stdout, cls.stderr = run("plot", "all", "-o", cls.out, "--format", "png")
        cls.rc2, _, _ = run("plot", "all", "-o", cls.out2, "--format", "png", "--no-render")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.out, name)

    def test_every_chart_written(self):
        self.assertEqual(self.rc, 0, self.stderr)
        for c in CHARTS:
            self.assertTrue(os.path.isfile(self.path(c + ".csv")), c)
            self.assertTrue(os.path.isfile(self.path(c + ".gp")), c)
            self.assertIn("[%d/%d] %s" % (CHARTS.index(c) + 1, len(CHARTS), c), self.stderr)

    @unittest.skipUnless(HAVE_GNUPLOT, "gnuplot is not on PATH")
    def test_png_size_and_not_blank(self):
        self.assertEqual(self.rc, 0, self.stderr)
        for c in CHARTS:
            with open(self.path(c + ".png"), "rb") as f:
                data = f.read()
            self.assertEqual(png_size(data), (1920, 1080), c)
            self.assertIn(self.path(c + ".png"), self.stdout)
        # Two decoded in full (pure Python is slow): many colours, not a blank page.
        for c in ["cost-table", "timeline"]:
            with open(self.path(c + ".png"), "rb") as f:
                self.assertGreater(len(png_pixels(f.read())), 20, c)

    def test_rerun_byte_identical(self):
        self.assertEqual(self.rc2, 0)
        for c in CHARTS:
            for name in sorted(os.listdir(self.out)):
                if not name.startswith(c) or not name.endswith((".csv", ".gp")):
                    continue
                with open(self.path(name), "rb") as a, open(os.path.join(self.out2, name),
                                                             "rb") as b:
                    self.assertEqual(a.read(), b.read(), name)

    def test_cost_table_is_the_deck(self):
        rows = read_csv(self.path("cost-table.csv"))
        self.assertEqual([round(float(r["cost_usd"])) for r in rows], DECK_USD)
        self.assertEqual(rows[-1]["cost_label"], "$6,750,000")
        rc, out, err = run("scenarios/llm_cost_table.yaml", "--format", "csv")
        self.assertEqual(rc, 0, err)
        cli = list(csv.DictReader(io.StringIO(out)))
        for mine, theirs in zip(rows, cli):
            self.assertEqual(mine["name"], theirs["name"])
            self.assertAlmostEqual(float(mine["cost_usd"]), float(theirs["cost_usd"]), delta=1e-3)

    def test_cpu_vs_gpu_against_cli(self):
        rows = read_csv(self.path("cpu-vs-gpu.csv"))
        rc, out, err = run("scenarios/mnist_mlp_cpu_vs_gpu.yaml", "--format", "csv")
        self.assertEqual(rc, 0, err)
        cli = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
        self.assertEqual(len(rows), len(cli))  # every run of the scenario is a point
        for r in rows:
            t = float(cli[r["name"]]["time_s"])
            self.assertLessEqual(abs(float(r["time_s"]) - t), 1e-8 * t, r["name"])
            n = int(r["n"])
            # Keras mnist_mlp: P(n) = n^2 + 796 n + 10 (20,037,642 at n = 4096, the slide's).
            self.assertEqual(float(r["params"]), n * n + 796 * n + 10)
        measured = read_csv(self.path("cpu-vs-gpu-measured.csv"))
        # The measured seconds per step of n = 4096, read from the trainer's own CSV, times the
        # 20 epochs of 60,000 images at batch 128: 1,200,000 / 128 = 9,375 steps.
        with open(os.path.join(SRC, "validate", "train-epyc-zen5-2vcpu.csv")) as f:
            train = list(csv.DictReader(line for line in f if not line.startswith("#")))
        per_step = float([t for t in train if t["n"] == "4096"][0]["seconds_per_step"])
        big = [m for m in measured if m["n"] == "4096"]
        self.assertEqual(len(big), 1)
        self.assertAlmostEqual(float(big[0]["time_s"]), per_step * 9375, delta=1e-3)

    def test_scaling_against_cli(self):
        rows = read_csv(self.path("scaling.csv"))
        self.assertEqual([r["devices"] for r in rows][:4], ["1", "2", "4", "8"])
        rc, out, err = run("scenarios/gpt_1.3b_dgx_a100.yaml", "--format", "csv")
        self.assertEqual(rc, 0, err)
        eight = list(csv.DictReader(io.StringIO(out)))[0]
        r8 = rows[3]
        step = float(eight["step_time_s"])
        self.assertLessEqual(abs(float(r8["step_s"]) - step), 1e-6 * step)
        # speed-up = step(1) / step(N); efficiency = speed-up / N; Amdahl's p from S and N.
        s = float(rows[0]["step_s"]) / float(r8["step_s"])
        self.assertAlmostEqual(float(r8["speedup"]), s, places=6)
        self.assertAlmostEqual(float(r8["efficiency"]), s / 8, places=6)
        self.assertAlmostEqual(float(r8["amdahl_p"]), (1 - 1 / s) / (1 - 1 / 8), places=6)
        amdahl = read_csv(self.path("amdahl-simulated.csv"))
        self.assertEqual([r["step_s"] for r in amdahl], [r["step_s"] for r in rows])

    def test_amdahl_curves(self):
        rows = read_csv(self.path("amdahl.csv"))
        self.assertEqual(float(rows[0]["processors"]), 1)
        self.assertEqual(float(rows[-1]["processors"]), 65536)
        # N = 1024 (row 40): p = 0.9 gives 1 / (0.1 + 0.9 / 1024) = 9.9130...
        self.assertAlmostEqual(float(rows[40]["p90"]), 1 / (0.1 + 0.9 / 1024), places=6)

    def test_mu_eta_and_tpu(self):
        rows = {r["id"]: r for r in read_csv(self.path("mu-eta.csv"))}
        # The deck's A100 PCIe 40 GB: 312 TFLOP/s fp16 dense, 250 W, $8,009.99.
        a100 = rows["a100-pcie-40gb"]
        self.assertAlmostEqual(float(a100["eta_per_w"]) / 1.248e12, 1, places=6)
        self.assertAlmostEqual(float(a100["mu_per_usd"]) / (312e12 / 8009.99), 1, places=3)
        self.assertEqual(rows["antminer-s7"]["basis"], "hash")
        # Labels: a device's own id or nothing; none on points that are not drawn; two labels of one
        # year never sit within 0.13 decade of each other (they would print over each other);
        # the deck's inference trio keeps its names.
        for value, label in (("eta_per_w", "label_eta"), ("mu_per_usd", "label_mu")):
            named = [r for r in rows.values() if r[label]]
            drawn = [r for r in rows.values() if r[value] and r["basis"] == "dense"]
            for r in named:
                self.assertEqual(r[label], r["id"])
                self.assertIn(r, drawn)
            for a in named:
                for b in named:
                    if a is not b and a["year"] == b["year"]:
                        gap = abs(math.log10(float(a[value]) / float(b[value])))
                        self.assertGreaterEqual(gap, 0.13, (label, a["id"], b["id"]))
            for d in (["k80", "p40", "tpu-v1"] if label == "label_eta" else ["k80", "p40"]):
                self.assertEqual(rows[d][label], d)
        tpu = {r["device"]: r for r in read_csv(self.path("tpu-vs-gpu.csv"))}
        # The slide: TPU 75 W, K80 300 W, P40 250 W; TPU v1 92 TOPS int8 (Jouppi et al. 2017).
        self.assertEqual([float(tpu[d]["tdp_w"]) for d in ["tpu-v1", "k80", "p40"]],
                         [75, 300, 250])
        self.assertAlmostEqual(float(tpu["tpu-v1"]["ops_per_w"]), 92e12 / 75, delta=1e6)
        rc, out, err = run("scenarios/inference_k80_tpu_p40.yaml", "--format", "csv")
        self.assertEqual(rc, 0, err)
        cli = {r["device"]: float(r["tokens_per_s"]) for r in csv.DictReader(io.StringIO(out))}
        for d in ["k80", "tpu-v1", "p40"]:
            self.assertAlmostEqual(float(tpu[d]["inferences_per_s"]) / cli[d], 1, places=6)

    def test_roofline_points(self):
        rows = read_csv(self.path("roofline.csv"))
        # The 1024^3 fp32 GEMMs at 1 thread in the benchmark's CSV (warm and cold operands):
        # each is 2 x 1024^3 FLOP over its measured seconds; intensity 2.14748e9 / 1.25829e7 = 170.7.
        with open(os.path.join(SRC, "validate", "cpu-epyc-zen5-2vcpu.csv")) as f:
            bench = list(csv.DictReader(line for line in f if not line.startswith("#")))
        secs = sorted(float(b["seconds"]) for b in bench
                      if b["kind"] == "gemm" and b["precision"] == "fp32" and b["threads"] == "1"
                      and (b["m"], b["n"], b["k"]) == ("1024", "1024", "1024"))
        g = [r for r in rows
             if r["kind"] == "gemm" and (r["m"], r["n"], r["k"]) == ("1024", "1024", "1024")]
        self.assertEqual(len(g), len(secs))
        self.assertGreaterEqual(len(g), 1)
        got = sorted(2 * 1024**3 / float(r["measured_flops_s"]) for r in g)
        for a, b in zip(got, secs):
            self.assertAlmostEqual(a / b, 1, places=4)
        self.assertAlmostEqual(float(g[0]["intensity"]), 2.14748e9 / 1.25829e7, places=3)
        self.assertTrue(all(r["threads"] == "1" for r in rows))

    def test_timeline_and_pareto(self):
        tasks = read_csv(self.path("timeline.csv"))
        self.assertGreater(len(tasks), 1000)
        self.assertTrue(all(float(t["end_s"]) >= float(t["start_s"]) for t in tasks))
        w = read_csv(self.path("pareto.csv"))
        pts = [(float(r["time_s"]), float(r["cost_usd"]), r["pareto"]) for r in w]
        for t, c, front in pts:
            dominated = any(t2 <= t and c2 <= c and (t2, c2) != (t, c) for t2, c2, _ in pts)
            self.assertEqual(front, "0" if dominated else "1")


class PlotCli(unittest.TestCase):
    def test_list(self):
        rc, out, err = run("plot", "--list")
        self.assertEqual(rc, 0, err)
        for c in CHARTS:
            self.assertIn(c, out)

    def test_usage_errors(self):
        for args in (["plot"], ["plot", "pie"], ["plot", "amdahl", "--format", "gif"],
                     ["plot", "all", "scenarios/gpt3_a100.yaml"], ["plot", "--bogus"]):
            rc, out, err = run(*args)
            self.assertEqual(rc, 2, args)
            self.assertEqual(out, "")
            self.assertIn("usage: mlsim plot", err)

    def test_bad_scenario(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = run("plot", "cost-table", "tests/data/bad_unknown_key.yaml", "-o", d)
            self.assertEqual(rc, 1)
            self.assertEqual(out, "")
            self.assertIn("bad_unknown_key.yaml:7:1: error: unknown key 'precison'", err)
            rc, out, err = run("plot", "timeline", "scenarios/gpt3_a100.yaml", "-o", d)
            self.assertEqual(rc, 1)
            self.assertIn("not 'mode: simulate'", err)

    def test_without_gnuplot(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = run("plot", "amdahl", "-o", d, env={"PATH": "/nonexistent"})
            self.assertEqual(rc, 0, err)
            self.assertIn("gnuplot is not on PATH", err)
            self.assertIn("gnuplot -e \"fmt='png'\"", err)
            self.assertTrue(os.path.isfile(os.path.join(d, "amdahl.gp")))
            self.assertFalse(os.path.exists(os.path.join(d, "amdahl.png")))

    @unittest.skipUnless(HAVE_GNUPLOT, "gnuplot is not on PATH")
    def test_svg_and_pdf(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = run("plot", "cost-table", "-o", d, "--format", "svg,pdf")
            self.assertEqual(rc, 0, err)
            with open(os.path.join(d, "cost-table.svg")) as f:
                self.assertIn('width="1920" height="1080"', f.read(2000))
            with open(os.path.join(d, "cost-table.pdf"), "rb") as f:
                self.assertEqual(f.read(5), b"%PDF-")
            self.assertFalse(os.path.exists(os.path.join(d, "cost-table.png")))


H100_TABLE = """title: My own table on H100s
defaults:
  mode: analytic
  hardware: {device: h100-sxm5-80gb, count: 512}
  precision: bf16
  mfu: 40%
  economics: {price_per_device_hour: $2.5/h}
runs:
  - name: A model with a rather long name, 70B
    model: {params: 70B, tokens: 1.4T}
  - name: Small 7B
    model: {params: 7B, tokens: 1T}
"""


def gp_var(script, key):
    """The value of the line `KEY = VALUE` mlsim wrote into SCRIPT (the text after ' = ')."""
    for line in script.split("\n"):
        if line.startswith(key + " = "):
            return line[len(key) + 3:]
    raise AssertionError("no %s in the script" % key)


class PlotLook(unittest.TestCase):
    """What the charts look like, read from the scripts mlsim writes (the PNGs were looked at)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "a")
        cls.rc, _, cls.err = run("plot", "all", "-o", cls.out, "--no-render")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def script(self, name, out=None):
        with open(os.path.join(out or self.out, name + ".gp")) as f:
            return f.read()

    def test_footnote_at_least_20_pt(self):
        self.assertEqual(self.rc, 0, self.err)
        for c in CHARTS:
            s = self.script(c)
            line = [x for x in s.split("\n") if x.startswith("set label 9999 footnote")][0]
            size = float(line.split("font ',")[1].split("'")[0])
            self.assertGreaterEqual(size, 20, c)
            # it sits higher the more lines it has, so that the last stays on the page
            lines = int(gp_var(s, "footnote_lines"))
            self.assertEqual(lines, gp_var(s, "footnote").count('"\\n"') + 1, c)
            self.assertLessEqual(lines, 2, c)  # two lines stay clear of the x axis' label

    def test_same_scale_in_every_format(self):
        # gnuplot 5.4: svg text is 3/4 of pngcairo's at one font size and pdfcairo's fontscale
        # defaults to 0.5 with lines half as wide (measured on rasterized pages): each is undone.
        s = self.script("amdahl")
        terms = {t: [x for x in s.split("\n") if x.strip().startswith("set terminal " + t)][0]
                 for t in ("pngcairo", "svg", "pdfcairo")}
        self.assertIn("fontscale 1 ", terms["pngcairo"])
        self.assertIn("fontscale 1.3333 ", terms["svg"])
        self.assertIn("fontscale 1 ", terms["pdfcairo"])
        self.assertIn("linewidth 2", terms["pngcairo"])
        self.assertIn("linewidth 4", terms["pdfcairo"])
        # margins are fractions of the page, not characters (which differ by terminal)
        self.assertIn("set lmargin at screen", s)
        self.assertNotRegex(s, r"set [lr]margin \d")
        # every point size is scaled for svg
        for c in CHARTS:
            for line in self.script(c).split("\n"):
                if " ps " in line and not line.lstrip().startswith("#"):
                    self.assertIn("* pt_k", line, c)

    def test_cost_table_of_ones_own_scenario(self):
        s = self.script("cost-table")
        self.assertIn("at $1.50 per a100-sxm4-40gb hour", gp_var(s, "cost_xlabel"))
        # the longest bar carries its label inside (white), or it runs past the frame
        self.assertIn("with labels right font ',22' textcolor rgb '#ffffff'", s)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "mine.yaml"), "w") as f:
                f.write(H100_TABLE)
            rc, _, err = run_in(d, "plot", "cost-table", "mine.yaml", "-o", d, "--no-render")
            self.assertEqual(rc, 0, err)
            s = self.script("cost-table", d)
        self.assertEqual(gp_var(s, "cost_xlabel"),
                         "'Training cost (million US$, at $2.50 per h100-sxm5-80gb hour)'")
        self.assertNotIn("SemiAnalysis", gp_var(s, "footnote"))
        self.assertNotIn("A100", s.split("# ---- plots/style.gp")[0])
        # "A model with a rather long name, 70B" is 36 characters: the left margin fits it
        self.assertEqual(gp_var(s, "name_chars"), "36")

    def test_cpu_vs_gpu_key_above_the_data(self):
        # a decade above the slowest run is left for the key at the top left
        self.assertIn("set yrange [* : 10 ** (ceil(log10(STATS_max)) + 1)]",
                      self.script("cpu-vs-gpu"))

    def test_mu_eta_labels_apart(self):
        s = self.script("mu-eta")
        self.assertEqual(s.count("with labels left offset 0.9, 0 font ',18'"), 2)
        rows = read_csv(os.path.join(self.out, "mu-eta.csv"))
        # An 18 pt label is 26 pixels high and a decade of the eta panel (5 decades over 746
        # pixels) is 149: two labels of one year must be 0.175 decade apart.
        named = [r for r in rows if r["label_eta"]]
        for a in named:
            for b in named:
                if a is not b and a["year"] == b["year"]:
                    gap = abs(math.log10(float(a["eta_per_w"]) / float(b["eta_per_w"])))
                    self.assertGreaterEqual(gap, 0.175, (a["id"], b["id"]))

    def test_timeline_of_64_pipeline_streams(self):
        with tempfile.TemporaryDirectory() as d:
            rc, _, err = run("plot", "timeline", "scenarios/gpt3_a100_simulated.yaml", "-o", d,
                             "--no-render")
            self.assertEqual(rc, 0, err)
            s = self.script("timeline", d)
            tasks = read_csv(os.path.join(d, "timeline.csv"))
        # pp 16: 16 ranks x 4 streams; one row per rank, every second row named
        names = [x for x in s.split("\n") if x.startswith("array stream_name")][0]
        self.assertIn("[16]", names)
        self.assertIn("'rank 15'", names)
        self.assertEqual(gp_var(s, "label_every"), "2")
        self.assertEqual({int(t["row"]) for t in tasks}, set(range(16)))
        # a tensor-parallel run keeps a row per stream, its margin fitting the longest name
        with tempfile.TemporaryDirectory() as d:
            rc, _, err = run("plot", "timeline", "scenarios/gptj_parallel_block.yaml", "-o", d,
                             "--no-render")
            self.assertEqual(rc, 0, err)
            s = self.script("timeline", d)
        self.assertEqual(gp_var(s, "label_chars"), str(len("rank 0 send backward")))
        self.assertEqual(gp_var(s, "label_every"), "1")


OWN_SWEEP = """name: GPT 1.3B, my own sweep
mode: simulate
model: {name: GPT-3 XL shape, layers: 24, hidden: 2048, heads: 16, seq_len: 2048, vocab: 51200,
        tokens: 26B}
hardware: {device: a100-sxm4-40gb, count: 8, nic_bandwidth: 1600 Gb/s}
precision: bf16
training: {micro_batch: 2, global_batch: 512, attention: flash, recompute: none}
economics: {price_per_device_hour: $1.5/h}
sweep: {hardware.count: [8, 16, 32]}
"""


class PlotOwnSweep(unittest.TestCase):
    """A scenario that sweeps hardware.count sets the counts of scaling and pareto."""

    def test_scaling_and_pareto_take_the_scenarios_counts(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "own.yaml"), "w") as f:
                f.write(OWN_SWEEP)
            for chart in ("scaling", "pareto"):
                rc, _, err = run_in(d, "plot", chart, "own.yaml", "-o", d, "--no-render")
                self.assertEqual(rc, 0, err)
            rows = read_csv(os.path.join(d, "scaling.csv"))
            with open(os.path.join(d, "scaling.gp")) as f:
                s = f.read()
            w = read_csv(os.path.join(d, "pareto.csv"))
            with open(os.path.join(d, "pareto.gp")) as f:
                p = f.read()
        self.assertEqual([r["devices"] for r in rows], ["8", "16", "32"])
        # against 8 devices: speed-up step(8) / step(N), efficiency speed-up x 8 / N
        t8 = float(rows[0]["step_s"])
        for r in rows:
            n = int(r["devices"])
            self.assertAlmostEqual(float(r["speedup"]), t8 / float(r["step_s"]), places=6)
            self.assertAlmostEqual(float(r["efficiency"]), t8 / float(r["step_s"]) * 8 / n,
                                   places=6)
            self.assertEqual(r["amdahl_p"], "NaN")  # Amdahl's p needs a one-device base
        self.assertIn("on 8 to 32 x NVIDIA A100", gp_var(s, "footnote"))
        self.assertEqual(gp_var(s, "ideal_title"), "'ideal: step(8) x 8 / N'")
        self.assertEqual(sorted(int(r["count"]) for r in w), [8, 16, 32])
        self.assertIn("sweep of hardware.count", gp_var(p, "footnote"))
        self.assertEqual(gp_var(p, "chart_title"), "'Cost against time: GPT 1.3B, my own sweep'")


class PlotSweepChart(unittest.TestCase):
    """`mlsim plot sweep` (src/chart_swept.c): a result column against a swept field, with Monte
    Carlo bands."""

    def test_axes_from_the_scenario(self):
        with tempfile.TemporaryDirectory() as d:
            rc, _, err = run("plot", "sweep", "scenarios/gpt3_layout_sweep.yaml", "--x",
                             "training.pp", "--y", "mfu", "-o", d, "--no-render")
            self.assertEqual(rc, 0, err)
            rows = read_csv(os.path.join(d, "sweep.csv"))
            with open(os.path.join(d, "sweep.gp")) as f:
                s = f.read()
        self.assertEqual(gp_var(s, "x_label"), "'training.pp'")
        self.assertIn("model flops utilization", gp_var(s, "y_label").lower())
        # the scenario's pp range {from: 4, to: 32, factor: 2}
        self.assertTrue({float(r["x"]) for r in rows} <= {4, 8, 16, 32})
        names = [x for x in s.split("\n") if x.startswith("array series_title")][0]
        self.assertIn("'tp=8, micro_batch=1'", names)
        rc, out, err = run("scenarios/gpt3_layout_sweep.yaml", "--format", "csv")
        cli = [r for r in csv.DictReader(io.StringIO(out)) if r["mfu"]]
        self.assertEqual(len(rows), len(cli))  # every point that fits, none that does not
        for a, b in zip(sorted(float(r["y"]) for r in rows), sorted(float(r["mfu"]) for r in cli)):
            self.assertLessEqual(abs(a - b), 1e-8 * b)

    def test_bad_axes_are_errors(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = run("plot", "sweep", "scenarios/gpt3_layout_sweep.yaml", "--y",
                               "time_ss", "-o", d)
            self.assertEqual(rc, 1)
            self.assertIn("'time_ss' is not a numeric result column (did you mean 'time_s'?)", err)
            rc, out, err = run("plot", "sweep", "scenarios/gpt3_layout_sweep.yaml", "--x",
                               "training.ppp", "-o", d)
            self.assertEqual(rc, 1)
            self.assertIn("gpt3_layout_sweep.yaml:14:3: error: --x 'training.ppp' is not a field "
                          "this sweep varies (did you mean 'training.pp'?)", err)
            rc, out, err = run("plot", "sweep", "scenarios/gpt_1.3b_dgx_a100.yaml", "-o", d)
            self.assertEqual(rc, 1)
            self.assertIn("has no 'sweep:'", err)
            self.assertEqual(os.listdir(d), [])  # a chart that cannot be drawn leaves no file

    def test_monte_carlo_bands(self):
        with open(os.path.join(SRC, "scenarios", "llama3_405b_reliability.yaml")) as f:
            text = f.read().replace("samples: 200", "samples: 20")
        self.assertIn("samples: 20\n", text)
        text += "sweep: {hardware.count: [8192, 16384]}\n"
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "mc.yaml"), "w") as f:
                f.write(text)
            rc, _, err = run_in(d, "plot", "sweep", "mc.yaml", "-o", d, "--no-render")
            self.assertEqual(rc, 0, err)
            rows = read_csv(os.path.join(d, "sweep.csv"))
            with open(os.path.join(d, "sweep.gp")) as f:
                s = f.read()
            rc, out, err = run_in(d, "mc.yaml", "--format", "csv")
            self.assertEqual(rc, 0, err)
            cli = {int(r["count"]): r for r in csv.DictReader(io.StringIO(out))}
        self.assertEqual(gp_var(s, "has_bands"), "1")
        self.assertIn("over 20 Monte Carlo replicates", gp_var(s, "footnote"))
        self.assertEqual([r["x"] for r in rows], ["8192", "16384"])
        for r in rows:
            c = cli[int(r["x"])]
            self.assertLessEqual(float(r["p10"]), float(r["p50"]))
            self.assertLessEqual(float(r["p50"]), float(r["p90"]))
            for q in ("p10", "p50", "p90"):
                want = float(c["time_%s_s" % q])
                self.assertLessEqual(abs(float(r[q]) - want), 1e-6 * want, q)
        self.assertIn("with filledcurves", s)


class PlotSearch(unittest.TestCase):
    def test_search_front_across_devices(self):
        with tempfile.TemporaryDirectory() as d:
            rc, _, err = run("plot", "search", "-o", d, "--no-render")
            self.assertEqual(rc, 0, err)
            w = read_csv(os.path.join(d, "search.csv"))
            front = read_csv(os.path.join(d, "search-front.csv"))
            rc, out, err = run("search", "scenarios/tpu_vs_gpu.yaml", "--format", "csv")
        self.assertEqual(rc, 0, err)
        # the three devices of the scenario's runs are all searched
        self.assertEqual({r["series"] for r in w}, {"0", "1", "2"})
        pts = [(float(r["time_s"]), float(r["cost_usd"]), r["pareto"]) for r in w]
        for t, c, f in pts:  # the front kept whole: every other point is dominated by one drawn
            dominated = any(t2 <= t and c2 <= c and (t2, c2) != (t, c) for t2, c2, _ in pts)
            self.assertEqual(f, "0" if dominated else "1")
        self.assertEqual(len(front), sum(p[2] == "1" for p in pts))
        self.assertTrue(all(r["label"].startswith("tp") for r in w if r["pareto"] == "1"))
        # mlsim search (of the first run, tpu-v4) finds no tpu-v4 layout cheaper than the
        # chart's cheapest tpu-v4 point by more than its closed form's error (the CLI's top rows
        # are priced at the simulated step, within a few percent of the closed form's)
        cli = [float(r["cost_usd"]) for r in csv.DictReader(io.StringIO(out))]
        tpu = min(float(r["cost_usd"]) for r in w if r["series"] == "0")
        self.assertGreater(min(cli), 0.9 * tpu)


# Text that would run commands if it reached a gnuplot script as code: a newline then `system`,
# a quote that closes the string it sits in (single and double), a backslash (which continues a
# comment line onto the next), a backtick command and an @macro.
EVIL = ('x\nsystem("touch canary1")\n\' . system(\'touch canary2\') . \'\\" `touch canary3` '
        '@x\\')
EVIL_FILE = 'evil\nsystem("touch canary4")\n\'"\\`touch canary5`.yaml'


def no_code_from_data(test, script):
    """No line of SCRIPT starts a command that mlsim did not write (system, or ! for a shell)."""
    for line in script.split("\n"):
        word = line.strip()
        test.assertFalse(word.startswith("system") or word.startswith("!"), line)
        # the text shows only in the comment banner and in the strings mlsim wrote
        if "canary" in line:
            test.assertTrue(line.startswith(("# Written", "chart_title = '", "footnote = '")),
                            line)


class PlotSafety(unittest.TestCase):
    """Data never becomes code: names, titles and paths are escaped, templates are mlsim's own."""

    def check_dir(self, d):
        for name in os.listdir(d):
            self.assertFalse(name.startswith("canary"), name)  # no command ran
            if name.endswith(".gp"):
                with open(os.path.join(d, name)) as f:
                    no_code_from_data(self, f.read())

    def test_names_titles_and_file_names(self):
        with tempfile.TemporaryDirectory() as d:
            table = ("title: %s\ndefaults:\n  mode: analytic\n"
                     "  hardware: {device: a100-sxm4-40gb, count: 1024}\n  precision: bf16\n"
                     "  mfu: 50%%\n  economics: {price_per_device_hour: $1.5/h}\nruns:\n"
                     "  - name: %s\n    model: {params: 30B, tokens: 610B}\n"
                     % (json.dumps(EVIL), json.dumps(EVIL)))
            with open(os.path.join(d, EVIL_FILE), "w") as f:
                f.write(table)
            # a simulated run, for the charts that name a run in their title
            with open(os.path.join(SRC, "scenarios", "gpt_1.3b_dgx_a100.yaml")) as f:
                sim = f.read().replace("name: GPT 1.3B on 8 A100s, data parallel",
                                       "name: " + json.dumps(EVIL), 1)
            self.assertIn("touch canary1", sim)
            sim_file = "sim" + EVIL_FILE
            with open(os.path.join(d, sim_file), "w") as f:
                f.write(sim)
            out = os.path.join(d, "out")
            for chart, scenario in (("cost-table", EVIL_FILE), ("pareto", EVIL_FILE),
                                    ("timeline", sim_file), ("scaling", sim_file)):
                rc, _, err = run_in(d, "plot", chart, scenario, "-o", out, "--format", "png")
                self.assertEqual(rc, 0, chart + ": " + err)
                with open(os.path.join(out, chart + ".gp")) as f:
                    script = f.read()
                self.assertIn("touch canary", script)  # the text is there, as text
                if HAVE_GNUPLOT:  # gnuplot read the whole script: no quote was left open
                    self.assertTrue(os.path.isfile(os.path.join(out, chart + ".png")), chart)
            self.check_dir(out)
            self.check_dir(d)

    def test_templates_never_beside_the_hwdb(self):
        with tempfile.TemporaryDirectory() as d:
            os.symlink(os.path.join(SRC, "hwdb"), os.path.join(d, "hwdb"))
            os.mkdir(os.path.join(d, "plots"))
            for t in ("style.gp", "amdahl.gp"):
                with open(os.path.join(d, "plots", t), "w") as f:
                    f.write("system('touch canary6')\n")
            scenario = os.path.join(SRC, "scenarios", "gpt_1.3b_dgx_a100.yaml")
            for i, (args, env) in enumerate(((["--hwdb", os.path.join(d, "hwdb")], None),
                                             ([], {"MLSIM_HWDB": os.path.join(d, "hwdb")}))):
                out = os.path.join(d, "out%d" % i)
                rc, _, err = run_in(d, "plot", "amdahl", scenario, "-o", out, "--format", "svg",
                                    *args, env=env)
                self.assertEqual(rc, 0, err)
                with open(os.path.join(out, "amdahl.gp")) as f:
                    script = f.read()
                self.assertNotIn("canary", script)
                with open(os.path.join(SRC, "plots", "style.gp")) as f:
                    self.assertIn(f.read(), script)
                self.check_dir(out)
            self.assertFalse(os.path.exists(os.path.join(d, "canary6")))

    def test_measured_csv_errors_are_located(self):
        with tempfile.TemporaryDirectory() as d:
            os.symlink(os.path.join(SRC, "hwdb"), os.path.join(d, "hwdb"))
            os.mkdir(os.path.join(d, "validate"))
            with open(os.path.join(d, "validate", "train-epyc-zen5-2vcpu.csv"), "w") as f:
                f.write("# a hand-broken copy\nn,params,seconds_per_step\n16,13002,1e-4\n"
                        "32,26506\n64,55050,fast\n")
            scenario = os.path.join(SRC, "scenarios", "mnist_mlp_cpu_vs_gpu.yaml")
            # a file of an earlier run stays as it was: the chart's files move in together or not
            os.mkdir(os.path.join(d, "out"))
            with open(os.path.join(d, "out", "cpu-vs-gpu.csv"), "w") as f:
                f.write("earlier\n")
            rc, out, err = run_in(d, "plot", "cpu-vs-gpu", scenario, "-o",
                                  os.path.join(d, "out"), "--hwdb", os.path.join(d, "hwdb"))
            self.assertEqual(rc, 1, err)
            self.assertEqual(out, "")
            # line 4 "32,26506" ends at column 9
            self.assertIn("validate/train-epyc-zen5-2vcpu.csv:4:9: error: 2 fields, but the header "
                          "(line 2) names 3 columns", err)
            self.assertEqual(os.listdir(os.path.join(d, "out")), ["cpu-vs-gpu.csv"])
            with open(os.path.join(d, "out", "cpu-vs-gpu.csv")) as f:
                self.assertEqual(f.read(), "earlier\n")
            with open(os.path.join(d, "validate", "train-epyc-zen5-2vcpu.csv"), "w") as f:
                f.write("n,params,seconds_per_step\n16,13002,1e-4\n64,55050,fast\n")
            rc, out, err = run_in(d, "plot", "cpu-vs-gpu", scenario, "-o",
                                  os.path.join(d, "out"), "--hwdb", os.path.join(d, "hwdb"))
            self.assertEqual(rc, 1, err)
            # "64,55050,fast": the third field starts at column 10
            self.assertIn("train-epyc-zen5-2vcpu.csv:3:10: error: 'seconds_per_step' is 'fast'",
                          err)


def tiny_png():
    """A valid 1 x 1 grey PNG (signature, IHDR, IDAT, IEND, with their CRCs)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


FAKE_GNUPLOT = """#!%s
# A stand-in for gnuplot: writes %%r to the outfile mlsim names, says a warning, exits %%d.
import re, sys
out = re.search(r"outfile='([^']*)'", sys.argv[2]).group(1)
sys.stdout.write("fake gnuplot: warning: W-%%s\\n")
with open(out, "wb") as f:
    f.write(%%r)
sys.exit(%%d)
""" % sys.executable


class PlotImages(unittest.TestCase):
    """Images are checked before they take their name; gnuplot's chatter shows only on failure."""

    def fake(self, d, tag, data, status):
        bindir = os.path.join(d, "bin-" + tag)
        os.mkdir(bindir)
        path = os.path.join(bindir, "gnuplot")
        with open(path, "w") as f:
            f.write(FAKE_GNUPLOT % (data, status, tag, data, status))
        os.chmod(path, 0o755)
        return {"PATH": bindir + os.pathsep + os.environ.get("PATH", "")}

    def listing(self, d):
        return sorted(n for n in os.listdir(d) if not n.endswith((".csv", ".gp")))

    def test_fake_gnuplot(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            png = tiny_png()
            cases = (("ok", png, 0, 0, ["amdahl.png"]),
                     ("cut", png[:-4], 0, 1, []),       # a full disk: no IEND, exit 0
                     ("empty", b"", 0, 1, []),
                     ("fails", png, 3, 1, []))          # an error: whatever it wrote goes
            for tag, data, status, want, files in cases:
                shutil.rmtree(out, ignore_errors=True)
                rc, stdout, err = run_in(d, "plot", "amdahl", "-o", out, "--format", "png",
                                         env=self.fake(d, tag, data, status))
                self.assertEqual(rc, want, tag + ": " + err)
                self.assertEqual(self.listing(out), files, tag)
                if want:  # a chart that cannot be drawn leaves no file: no data, no script
                    self.assertEqual(os.listdir(out), [], tag)
                if want == 0:
                    self.assertNotIn("W-ok", err)  # a warning of a good run stays quiet
                    with open(os.path.join(out, "amdahl.png"), "rb") as f:
                        self.assertEqual(f.read(), png)
                    self.assertIn(os.path.join(out, "amdahl.png"), stdout)
                else:
                    self.assertIn("W-" + tag, err)  # a failure shows what gnuplot said
                    self.assertNotIn("amdahl.png", stdout)
            self.assertIn("status 3", err)
            # an earlier run's files stay as they were when a later one cannot be drawn
            shutil.rmtree(out, ignore_errors=True)
            rc, _, err = run_in(d, "plot", "amdahl", "-o", out, "--format", "png",
                                env=self.fake(d, "ok2", png, 0))
            self.assertEqual(rc, 0, err)
            with open(os.path.join(out, "amdahl.csv"), "w") as f:
                f.write("earlier\n")  # what this run would replace, were it drawn
            before = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
            rc, _, err = run_in(d, "plot", "amdahl", "-o", out, "--format", "png",
                                env=self.fake(d, "fails2", png, 3))
            self.assertEqual(rc, 1, err)
            self.assertIn("W-fails2", err)
            after = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
            self.assertEqual(after, before)

    def test_target_not_a_regular_file(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            # a data file's place taken by a folder: refused, and no file of the chart is left
            os.makedirs(os.path.join(out, "amdahl.gp"))  # the last file the chart writes
            rc, _, err = run_in(d, "plot", "amdahl", "-o", out, "--no-render")
            self.assertEqual(rc, 1)
            self.assertIn("amdahl.gp: error: exists and is not a regular file", err)
            self.assertEqual(os.listdir(out), ["amdahl.gp"])
            os.rmdir(os.path.join(out, "amdahl.gp"))
            os.makedirs(os.path.join(out, "amdahl.png"))
            env = self.fake(d, "ok", tiny_png(), 0)
            rc, _, err = run_in(d, "plot", "amdahl", "-o", out, "--format", "png", env=env)
            self.assertEqual(rc, 1)
            self.assertIn("amdahl.png: error: exists and is not a regular file", err)
            self.assertTrue(os.path.isdir(os.path.join(out, "amdahl.png")))
            os.rmdir(os.path.join(out, "amdahl.png"))
            victim = os.path.join(d, "victim")
            with open(victim, "w") as f:
                f.write("keep")
            os.symlink(victim, os.path.join(out, "amdahl.png"))
            rc, _, err = run_in(d, "plot", "amdahl", "-o", out, "--format", "png", env=env)
            self.assertEqual(rc, 1)
            with open(victim) as f:
                self.assertEqual(f.read(), "keep")
            self.assertEqual(self.listing(out), ["amdahl.png"])  # the link, and no temp file

    @unittest.skipUnless(HAVE_GNUPLOT, "gnuplot is not on PATH")
    def test_full_disk(self):
        # A file size limit stands in for a full disk: writes past 10 kB fail (SIGXFSZ ignored,
        # so gnuplot's writes get EFBIG and it carries on). The data and script are under 5 kB;
        # every image of the cost table is larger (PDF 15 kB, SVG 20 kB, PNG 220 kB).
        def limited():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (10000, 10000))
        for fmt in ("png", "svg", "pdf"):
            with tempfile.TemporaryDirectory() as d:
                rc, out, err = run_in(d, "plot", "cost-table", "-o", d, "--format", fmt,
                                      preexec_fn=limited)
                self.assertEqual(rc, 1, fmt + ": " + err)
                self.assertIn("cost-table.%s: error: gnuplot wrote an image that is" % fmt, err)
                self.assertEqual(self.listing(d), [], fmt)  # no image, no temporary file

    @unittest.skipUnless(HAVE_GNUPLOT, "gnuplot is not on PATH")
    def test_pdf_same_bytes(self):
        with tempfile.TemporaryDirectory() as d:
            got = []
            for i in range(2):
                if i:
                    time.sleep(1.1)  # the PDF date has a resolution of one second
                rc, _, err = run_in(d, "plot", "amdahl", "-o", d, "--format", "pdf")
                self.assertEqual(rc, 0, err)
                with open(os.path.join(d, "amdahl.pdf"), "rb") as f:
                    got.append(f.read())
            self.assertEqual(got[0], got[1])
            self.assertNotIn(b"CreationDate", got[0])
            self.assertTrue(got[0].rstrip().endswith(b"%%EOF"))
            self.assertEqual(self.listing(d), ["amdahl.pdf"])


if __name__ == "__main__":
    sys.exit(clitest.main())
