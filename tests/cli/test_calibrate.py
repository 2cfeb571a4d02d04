#!/usr/bin/env python3
"""End-to-end tests of `mlsim calibrate`.

Run as:  python3 tests/cli/test_calibrate.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only; MLSIM_HWDB is removed from the environment of every call. The
points fitted are made from known parameters by the hand-written model below, so the fit must
give those parameters back; nothing is compared with mlsim's own output. The last line printed is
"N passed, N failed"; the exit status is non-zero on failure.
"""
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_calibrate.py")

TIMEOUT_S = 20
HEADER = "kind,precision,threads,m,n,k,flops,bytes,seconds\n"

# A device of 100 GFLOP/s fp32 and 50 GB/s with 1 MB on chip, and the truth the points obey:
# GEMM efficiency 0.5 with half sizes 4, 8, 2; DRAM efficiency 0.4 (20 GB/s); 1 us per kernel;
# 80 GB/s on chip. By hand, kernel time = 1 us + max(flops / (1e11 x 0.5 x s(m) s(n) s(k)),
# bytes / bandwidth), s(x) = x / (x + h), bandwidth 80e9 up to 1e6 bytes and 20e9 beyond.
DEVICE = """id: testcpu
name: Test CPU
kind: cpu
vendor: Test
year: 2024
peak:
  fp32: 100 GFLOPS
memory:
  capacity: 1 GiB
  bandwidth: 50 GB/s
  on_chip: 1 MB
sources:
  - for: [year, peak, memory]
    cite: "Invented for this test"
"""


def model(m, n, k, flops, nbytes):
    eff = 0.5
    if flops:
        eff *= m / (m + 4.0) * n / (n + 8.0) * k / (k + 2.0)
    bw = 80e9 if nbytes <= 1e6 else 20e9
    return 1e-6 + max(flops / (1e11 * eff) if flops else 0.0, nbytes / bw)


def synthetic_csv():
    rows = []
    for m in (8, 32, 128, 512):
        for n in (8, 32, 128, 512):
            for k in (8, 128, 1024):
                flops, nbytes = 2.0 * m * n * k, 4.0 * (m * k + k * n + m * n)
                rows.append("gemm,fp32,1,%d,%d,%d,%.17g,%.17g,%.17g"
                            % (m, n, k, flops, nbytes, model(m, n, k, flops, nbytes)))
    for i in range(12):
        nbytes = 1e4 * 2.0 ** i  # 10 kB ... 20.5 MB: on chip up to 1 MB, DRAM beyond
        rows.append("update,fp32,1,0,0,0,0,%.17g,%.17g" % (nbytes, model(0, 0, 0, 0, nbytes)))
    return HEADER + "\n".join(rows) + "\n"


def calibrate(tmp, csv_text, *args):
    hwdb = os.path.join(tmp, "hwdb")
    os.makedirs(os.path.join(hwdb, "cpu"), exist_ok=True)
    with open(os.path.join(hwdb, "cpu", "testcpu.yaml"), "w") as f:
        f.write(DEVICE)
    path = os.path.join(tmp, "points.csv")
    with open(path, "w") as f:
        f.write(csv_text)
    p = subprocess.run([MLSIM, "calibrate", path, "--device", "testcpu", "--hwdb", hwdb, *args],
                       cwd=tmp, env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode(), path


class TestCalibrate(unittest.TestCase):
    def test_recovers_two_tiers(self):
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err, _ = calibrate(tmp, synthetic_csv(), "--stream", "update", "-o",
                                        "block.yaml")
            self.assertEqual(rc, 0, err)
            with open(os.path.join(tmp, "block.yaml")) as f:
                block = f.read()
        want = {"gemm_efficiency": 0.5, "gemm_half_m": 4, "gemm_half_n": 8, "gemm_half_k": 2,
                "memory_efficiency": 0.4}
        for key, value in want.items():
            got = float(re.search(r"^  %s: (\S+)" % key, block, re.M).group(1))
            self.assertAlmostEqual(got / value, 1.0, places=2, msg=key)
        self.assertAlmostEqual(
            float(re.search(r"launch_overhead: (\S+) us", block).group(1)), 1.0, places=2)
        self.assertAlmostEqual(
            float(re.search(r"onchip_bandwidth: (\S+) GB/s", block).group(1)), 80.0, places=1)
        self.assertIn("--stream update", block)

    def test_bad_row_has_location(self):
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err, path = calibrate(tmp, HEADER + "gemm,fp32,1,8,8,8,1024,768,-2\n")
        self.assertEqual(rc, 1)
        # "-2" starts at column 28 of line 2 (the header is line 1)
        self.assertIn("%s:2:28: error: seconds: expected a positive number" % path, err)

    def test_no_dram_points(self):
        text = HEADER + "".join(l + "\n" for l in synthetic_csv().splitlines()[1:]
                                if not l.startswith("update") or float(l.split(",")[7]) <= 1e6)
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err, _ = calibrate(tmp, text, "--stream", "update")
        self.assertEqual(rc, 1)
        self.assertIn("larger than the device's on-chip memory", err)
        # the rows kept stop at 1e4 x 2^6 = 640,000 bytes, under the device's 1 MB
        self.assertIn("the largest update row is 0.64 MB, the device's on-chip memory 1 MB", err)

    def test_usage(self):
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err, _ = calibrate(tmp, synthetic_csv(), "--threads", "zero")
        self.assertEqual(rc, 2)
        self.assertIn("usage: mlsim calibrate", err)


def gemm_only_csv():
    """GEMMs alone, as published sweeps give them: efficiency 0.6, one half size 100 for M, N and
    K, 3 us per kernel. By hand, time = 3 us + 2 m n k / (1e11 x 0.6 x s(m) s(n) s(k))."""
    rows = []
    for m, n, k in ((64, 64, 64), (128, 128, 128), (256, 256, 256), (512, 512, 512),
                    (1024, 1024, 1024), (256, 2048, 512), (2048, 256, 1024)):
        flops = 2.0 * m * n * k
        s = m / (m + 100.0) * n / (n + 100.0) * k / (k + 100.0)
        rows.append("gemm,fp32,1,%d,%d,%d,%.17g,%.17g,%.17g"
                    % (m, n, k, flops, 4.0 * (m * k + k * n + m * n), 3e-6 + flops / (6e10 * s)))
    return HEADER + "\n".join(rows) + "\n"


class TestCalibrateGemmOnly(unittest.TestCase):
    """A file of GEMMs alone fits the efficiency, one shared half size and the overhead, and its
    block says it is a ceiling (single matmuls, no training work)."""

    def test_recovers_gemm_only(self):
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err, _ = calibrate(tmp, gemm_only_csv(), "-o", "block.yaml")
            self.assertEqual(rc, 0, err)
            with open(os.path.join(tmp, "block.yaml")) as f:
                block = f.read()
        self.assertAlmostEqual(
            float(re.search(r"^  gemm_efficiency: (\S+)", block, re.M).group(1)), 0.6, places=3)
        for key in ("gemm_half_m", "gemm_half_n", "gemm_half_k"):
            got = float(re.search(r"^  %s: (\S+)" % key, block, re.M).group(1))
            self.assertAlmostEqual(got / 100.0, 1.0, places=2, msg=key)
        self.assertAlmostEqual(
            float(re.search(r"launch_overhead: (\S+) us", block).group(1)), 3.0, places=2)
        self.assertNotIn("memory_efficiency", block)
        self.assertIn("ceiling: true", block)

    def test_a_stream_kind_without_rows_is_still_an_error(self):
        text = gemm_only_csv() + "triad,fp32,1,0,0,0,0,1e8,0.01\n"
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err, _ = calibrate(tmp, text, "--stream", "update")
        self.assertEqual(rc, 1)


# The non-shape share in the Hopper and Blackwell files: the A100's (its Korthikanti layer fit
# under the H100's falloff, 0.7604, `mlsim calibrate` of Table 4 with half sizes 82.8, over its
# MAMF best shape 0.869 undone by the same falloff, 0.869 / 0.9032 = 0.9622) times 0.9180, the
# scale `mlsim calibrate validate/published/mosaicml_mpt_fit.yaml` fitted on 2026-12-02 to
# llm-foundry's two largest H100 runs over the files' 0.7018 then (validate/published/README.md).
NON_SHAPE = 0.7604 / 0.9622 * 0.9180


class TestPublishedSweeps(unittest.TestCase):
    """The H100 and B200 calibrations in hwdb are what `mlsim calibrate` fits to the published
    sweeps (validate/published/gemm_*.csv), times the carried share: change the model and this
    fails until the files are refitted."""

    def check(self, csv, device):
        p = subprocess.run([MLSIM, "calibrate", csv, "--device", device, "--precision", "bf16",
                            "--threads", "1"], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        fitted = {k: float(re.search(r"^  %s: (\S+)" % k, out, re.M).group(1))
                  for k in ("gemm_efficiency", "gemm_half_m")}
        path = os.path.join(SRC, "hwdb", "gpu", device + ".yaml")
        with open(path) as f:
            held = f.read()
        eff = float(re.search(r"^  gemm_efficiency: (\S+)", held, re.M).group(1))
        half = float(re.search(r"^  gemm_half_m: (\S+)", held, re.M).group(1))
        self.assertAlmostEqual(eff, fitted["gemm_efficiency"] * NON_SHAPE, delta=1e-3, msg=device)
        self.assertAlmostEqual(half / fitted["gemm_half_m"], 1.0, places=2, msg=device)
        self.assertNotIn("ceiling: true", held)
        return out

    def test_h100(self):
        out = self.check("validate/published/gemm_h100_sxm_bf16.csv", "h100-sxm5-80gb")
        # the sweep's 4096 cube (780.19 TFLOP/s) is reproduced within 5%
        self.assertRegex(out, r"gemm\s+4096\s+4096\s+4096 .* [-+][0-4]\.[0-9]%")

    def test_b200(self):
        self.check("validate/published/gemm_b200_bf16.csv", "b200")


FP8_SCENARIO = """title: fp8 against bf16
defaults:
  mode: simulate
  precision: bf16
  hardware: {device: h100-sxm5-80gb, count: 1}
  model: {layers: 24, hidden: 2048, heads: 16, seq_len: 2048, vocab: 50368, tokens: 1B}
  training: {micro_batch: 4, global_batch: 4, attention: flash, optimizer: adam, recompute: none}
  economics: {price_per_device_hour: $1/h}
runs:
  - name: bf16
  - name: fp8
    precision: fp8
"""


def run_scenario(text, *args):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.yaml")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([MLSIM, path, *args], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class TestPrecisionRecipes(unittest.TestCase):
    """fp8 as Transformer Engine runs it: the same FLOPs, the linear GEMMs at twice the peak and
    attention at bf16's, so the step is faster than bf16 but by less than 2x (Amdahl); the MFU is
    taken against the fp8 peak (as llm-foundry reports its fp8 row); the report says the recipe
    and flags uncalibrated devices."""

    def test_fp8_against_bf16(self):
        rc, out, err = run_scenario(FP8_SCENARIO, "--format", "csv")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        keys = lines[0].split(",")
        rows = {l.split(",")[0]: dict(zip(keys, l.split(","))) for l in lines[1:]}
        bf, f8 = rows["bf16"], rows["fp8"]
        self.assertEqual(float(bf["flops"]), float(f8["flops"]))
        speedup = float(bf["time_s"]) / float(f8["time_s"])
        self.assertGreater(speedup, 1.0)
        self.assertLess(speedup, 2.0)
        self.assertAlmostEqual(float(f8["peak_flops"]), 1978.9e12, delta=1e9)  # hwdb's fp8 peak
        rc, out, err = run_scenario(FP8_SCENARIO)
        self.assertIn("Precision fp8: Transformer Engine FP8", out)
        self.assertIn("linear GEMMs at 1.979 PFLOP/s x 0.564", out)  # the file's fp8 efficiency
        self.assertNotIn("UNCALIBRATED", out)

    def test_ceiling_is_flagged(self):
        rc, out, err = run_scenario(FP8_SCENARIO, "--set", "hardware.device=mi300x")
        self.assertEqual(rc, 0, err)
        self.assertIn("mi300x: UNCALIBRATED ceiling: its GEMM efficiency 0.511", out)
        self.assertIn("errs optimistic", out)


MPT = "validate/published/mosaicml_mpt.yaml"
MPT_FIT = "validate/published/mosaicml_mpt_fit.yaml"
FSDP = "validate/published/llmfoundry_mpt_fsdp.yaml"
V100_FIT = "validate/published/megatron2019_v100_fit.yaml"
V100 = "validate/published/megatron2019_v100.yaml"


def csv_rows(path):
    p = subprocess.run([MLSIM, path, "--format", "csv"], cwd=SRC, env=clitest.clean_env(),
                       capture_output=True, timeout=TIMEOUT_S)
    if p.returncode != 0:
        raise AssertionError(p.stderr.decode())
    return list(csv.DictReader(io.StringIO(p.stdout.decode())))


def error_pct(row):
    return abs(float(row["ref_predicted"]) / float(row["ref_measured"]) - 1) * 100


class TestMosaicMpt(unittest.TestCase):
    """llm-foundry's MPT benchmarks that check (issue 15: the runs kept for checking within 10%
    mean). The H100 is fitted to two other runs (MPT_FIT), the A100 to Korthikanti's layers."""

    def test_checked_runs(self):
        rows = csv_rows(MPT)
        # typed from published-runs.yaml: MFU x peak (TFLOP/s), or global batch x sequence over
        # tokens/s (s): 39.86%, 40.85%, 46.44% of 989; 16 x 65536 / 15654; 27.7% of 1979;
        # 53.33% of 312; 16 x 65536 / 8108; 44.79, 48.91, 51.93, 50.14% of 312
        measured = [394.22, 404.01, 459.29, 66.985, 548.18, 166.39, 129.32, 139.74, 152.6,
                    162.02, 156.44]
        self.assertEqual([float(r["ref_measured"]) for r in rows], measured)
        errors = [error_pct(r) for r in rows] + [error_pct(r) for r in csv_rows(FSDP)]
        # issue 15's bar over every llm-foundry run kept for checking (these 11 and the four of
        # llmfoundry_mpt_fsdp.yaml): 7.5% on 2026-12-02; the H100 rows alone read 14% (+5% to
        # +21%, optimistic but for the long-sequence run)
        self.assertLessEqual(sum(errors) / len(errors), 10.0)
        self.assertLessEqual(max(errors), 25.0)

    def test_fit_and_check_share_no_run(self):
        """Never the same run for both: no (model, device, count, precision) of the fit file is
        among the checks."""
        def keys(path):
            return {(r["params"], r["device"], r["count"], r["precision"], r["global_batch"])
                    for r in csv_rows(path)}
        fitted = keys(MPT_FIT)
        self.assertEqual(len(fitted), 2)
        self.assertFalse(fitted & keys(MPT), fitted & keys(MPT))
        self.assertFalse(fitted & keys(FSDP))


class TestMegatron2019V100(unittest.TestCase):
    """Megatron-LM 2019's scaled V100 runs, checks of the V100 fitted to the study's baseline."""

    def test_checked_runs(self):
        rows = csv_rows(V100)
        # 39 TFLOP/s x Figure 5's weak-scaling efficiencies (Shoeybi et al. 2019): model
        # parallel 0.95, 0.82, 0.77; model + data parallel 0.96, 0.83, 0.79, 0.74
        measured = [round(39 * e, 2) for e in (0.95, 0.82, 0.77, 0.96, 0.83, 0.79, 0.74)]
        self.assertEqual([float(r["ref_measured"]) for r in rows], measured)
        errors = [error_pct(r) for r in rows]
        # 8.6% mean, every row within 15.3%, on 2026-12-02 (72.6% before the fit): a guard
        self.assertLessEqual(sum(errors) / len(errors), 12.0)
        self.assertLessEqual(max(errors), 20.0)
        fitted = {(r["params"], r["count"]) for r in csv_rows(V100_FIT)}
        self.assertFalse(fitted & {(r["params"], r["count"]) for r in rows})


class TestB200(unittest.TestCase):
    def test_checked_run(self):
        """The B200's one published run in the set, a check of the share it carries from the
        H100: Megatron-Bridge's Llama 3 8B on 8 B200 in FP8, +1.7% on 2026-12-02; and on 8
        GB200s, which carry the B200's calibration: -4.8%."""
        rows = csv_rows("validate/published/b200_runs.yaml")
        # 128 x 8192 / (30624 x 8) and / (31508 x 8)
        self.assertEqual([float(r["ref_measured"]) for r in rows], [4.28, 4.16])
        self.assertLessEqual(max(error_pct(r) for r in rows), 15.0)


class TestCalibrateRuns(unittest.TestCase):
    """`mlsim calibrate RUNS.yaml` (src/cli/calibrate_runs.c over src/runfit.c): a GEMM
    efficiency scale fitted to whole runs."""

    def calibrate(self, *args):
        p = subprocess.run([MLSIM, "calibrate", *args], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_recovers_a_hand_computed_efficiency(self):
        # One A100 training a two-layer MLP of 8192 x 8192 on a batch of 8192 in fp16, its memory
        # made instant: the step is the input's copy over PCIe 4.0 x16 (2 x 8192^2 bytes at
        # 16 GB/s each way = 8.389632 ms) and five GEMMs (two forward, two weight gradients, one
        # input gradient: the first layer's input needs none) of 2 x 8192^3 FLOP at 312 TFLOP/s x
        # e. At e = 0.5 each takes 7.048152 ms: a step of 43.630389 ms. Fitted to that step, the
        # A100's GEMM efficiency must come back as 0.5.
        text = """mode: simulate
precision: fp16
model: {type: mlp, widths: [8192, 8192, 8192], tokens: 1M}
hardware:
  device: a100-sxm4-80gb
  count: 1
  override: {memory: {bandwidth: 1000000 TB/s}, calibration: {launch_overhead: 1 ns}}
training: {micro_batch: 8192, global_batch: 8192, optimizer: sgd}
economics: {price_per_device_hour: $1/h}
reference: {iteration_time: 43.630389 ms}
"""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "runs.yaml")
            with open(path, "w") as f:
                f.write(text)
            rc, out, err = self.calibrate(path)
        self.assertEqual(rc, 0, err)
        fitted = float(re.search(r"^  gemm_efficiency: (\S+)", out, re.M).group(1))
        self.assertAlmostEqual(fitted, 0.5, delta=2e-4)
        self.assertIn("1 run of", out)

    def test_hwdb_holds_the_h100_fit(self):
        """The H100's efficiencies in hwdb are the fit to MPT_FIT under the current model (scale
        1 within its standard error), and the parts that carry them hold the same."""
        rc, out, err = self.calibrate(MPT_FIT)
        self.assertEqual(rc, 0, err)
        scale = float(re.search(r"efficiencies ([0-9.]+) \+/- ([0-9.]+)", out).group(1))
        self.assertAlmostEqual(scale, 1.0, delta=2e-3)
        fitted = float(re.search(r"^  gemm_efficiency: (\S+)", out, re.M).group(1))
        for device in ("h100-sxm5-80gb", "h200-sxm-141gb", "h800-sxm5-80gb"):
            with open(os.path.join(SRC, "hwdb", "gpu", device + ".yaml")) as f:
                held = float(re.search(r"^  gemm_efficiency: (\S+)", f.read(), re.M).group(1))
            self.assertAlmostEqual(fitted, held, delta=5e-4, msg=device)
        self.assertIn("MPT-70B 64 H100", out)
        self.assertLess(float(re.search(r"log reference ([0-9.]+)%", out).group(1)), 5.0)

    def test_hwdb_holds_the_v100_fit(self):
        """The V100 files hold the fit to Megatron-LM 2019's single-GPU baseline, which the
        uncalibrated default read +67% fast (65.3 TFLOP/s against 39)."""
        rc, out, err = self.calibrate(V100_FIT)
        self.assertEqual(rc, 0, err)
        fitted = float(re.search(r"^  gemm_efficiency: (\S+)", out, re.M).group(1))
        for device in ("v100-sxm2-32gb", "v100-sxm2-16gb"):  # the same GV100 compute
            with open(os.path.join(SRC, "hwdb", "gpu", device + ".yaml")) as f:
                held = float(re.search(r"^  gemm_efficiency: (\S+)", f.read(), re.M).group(1))
            self.assertAlmostEqual(fitted, held, delta=5e-4, msg=device)

    def test_hwdb_holds_the_tpu_v5p_fit(self):
        """TPU v5p: fitted to MaxText's 64B and 256B runs (the default 0.781 read them -8% and
        -10% with collectives on the torus); tpu_runs.yaml's 32B v5p row checks it."""
        for fit, device in (("tpu_v5p_fit", "tpu-v5p"), ("tpu_v5e_fit", "tpu-v5e")):
            rc, out, err = self.calibrate("validate/published/%s.yaml" % fit)
            self.assertEqual(rc, 0, err)
            fitted = float(re.search(r"^  gemm_efficiency: (\S+)", out, re.M).group(1))
            with open(os.path.join(SRC, "hwdb", "tpu", device + ".yaml")) as f:
                held = float(re.search(r"^  gemm_efficiency: (\S+)", f.read(), re.M).group(1))
            self.assertAlmostEqual(fitted, held, delta=5e-4, msg=device)

    def test_hwdb_holds_the_gaudi2_fit(self):
        """Gaudi 2: fitted to Intel's 16- and 64-card FP8 runs under Megatron-DeepSpeed (its
        best-shape ceiling read them -40% and -23%); the 8-card rows check it."""
        rc, out, err = self.calibrate("validate/published/gaudi2_fit.yaml")
        self.assertEqual(rc, 0, err)
        fitted = float(re.search(r"^  gemm_efficiency: (\S+)", out, re.M).group(1))
        with open(os.path.join(SRC, "hwdb", "asic", "gaudi2.yaml")) as f:
            held = f.read()
        self.assertAlmostEqual(fitted, float(re.search(r"^  gemm_efficiency: (\S+)", held,
                                                       re.M).group(1)), delta=5e-4)
        self.assertNotIn("ceiling: true", held)

    def test_no_reference_is_a_located_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "runs.yaml")
            with open(path, "w") as f:
                f.write("model: gpt3-175b\nhardware: {device: a100-sxm4-80gb, count: 8}\n")
            rc, out, err = self.calibrate(path, "--device", "a100-sxm4-80gb")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r"runs\.yaml:1:1: error: no run on 'a100-sxm4-80gb' with a reference")


TABLE4 = "validate/published/korthikanti2022_table4.yaml"

LAYERS = """device: a100-sxm4-80gb
precision: fp16
link: nvlink3
model: {hidden: 6144, heads: 64, seq_len: 2048}
training: {tp: 8, micro_batch: 4}
layers:
  - {name: a, recompute: none, forward: 7.7 ms, backward: 11.9 ms}
  - {name: b, recompute: full, forward: 7.7 ms}
  - {name: c, recompute: none, forwrd: 7.7 ms, backward: 11.9 ms}
"""


class TestCalibrateLayers(unittest.TestCase):
    """`mlsim calibrate LAYERS.yaml` (src/cli/calibrate_layers.c over src/layerfit.c): the A100's
    GEMM efficiency fitted to Korthikanti et al.'s Table 4 layer times."""

    def run_mlsim(self, *args):
        p = subprocess.run([MLSIM, "calibrate", *args], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_hwdb_holds_the_fit(self):
        """The calibration committed in hwdb is what the current model fits: change the model and
        this fails until the device file is refitted."""
        rc, out, err = self.run_mlsim(TABLE4)
        self.assertEqual(rc, 0, err)
        fitted = float(re.search(r"^  gemm_efficiency: (\S+)", out, re.M).group(1))
        for device in ("a100-sxm4-80gb", "a100-sxm4-40gb"):  # the same GA100 compute
            with open(os.path.join(SRC, "hwdb", "gpu", device + ".yaml")) as f:
                held = float(re.search(r"^  gemm_efficiency: (\S+)", f.read(), re.M).group(1))
            self.assertAlmostEqual(fitted, held, delta=5e-4, msg=device)
        # every layer time is printed, measured beside fitted (the paper's 19.5 ms full-recompute
        # backward among them), and the fit is close: rms of log time under 5%
        self.assertIn("19.5", out)
        self.assertLess(float(re.search(r"rms error of log time ([0-9.]+)%", out).group(1)), 5.0)

    def test_bad_layers_have_places(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "layers.yaml")
            with open(path, "w") as f:
                f.write(LAYERS)
            rc, out, err = self.run_mlsim(path)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("%s:8:5: error: a measured layer needs 'backward'" % path, err)
        self.assertRegex(err, r"%s:9:\d+: error: .*forwrd" % re.escape(path))


if __name__ == "__main__":
    sys.exit(clitest.main())
