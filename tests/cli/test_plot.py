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
import math
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

import clitest

MLSIM, SRC = clitest.paths("test_plot.py")

TIMEOUT_S = 120
CHARTS = ["cost-table", "cpu-vs-gpu", "amdahl", "tpu-vs-gpu", "mu-eta", "roofline", "scaling",
          "timeline", "pareto"]
HAVE_GNUPLOT = shutil.which("gnuplot") is not None

# The deck's "State-Of-The-Art Training Costs" (lecture-experiments.md sec. 1), in its order.
DECK_USD = [325855, 368846, 480769, 833333, 841346, 855769, 1033756, 1346154, 1745014, 1745014,
            2293269, 6750000]


def run(*args, env=None):
    p = subprocess.run([MLSIM, *args], cwd=SRC, env=clitest.clean_env(env), capture_output=True,
                       timeout=TIMEOUT_S)
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
        self.assertEqual(len(rows), 18)
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


if __name__ == "__main__":
    sys.exit(clitest.main())
