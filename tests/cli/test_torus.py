#!/usr/bin/env python3
"""End-to-end tests of collectives on a TPU torus and of multislice runs over the DCN.

Run as:  python3 tests/cli/test_torus.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only. Golden numbers are hand calculations from hwdb's figures (TPU
v5e: 4 ICI ports of 50 GB/s each way, a 16 x 16 torus wrapping only a full 16; 32 hosts x 2 x
100 Gb/s of DCN per 256-chip slice) and the collective formula of collective.h, written in the
comments, never mlsim's own output. The last line printed is "N passed, N failed".
"""
import csv
import io
import os
import shutil
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_torus.py")

TIMEOUT_S = 30
BASE_S, STEP_S = 8.4e-6, 3.4e-6  # NCCL's base and per-step latencies (collective.h)

# A GPT of 356,837,376 parameters (24 layers of 1024, a 51,200 vocabulary), data-parallel only,
# its bf16 gradients all-reduced in one bucket after the backward pass (nothing overlapped), so
# the step's exposed communication is that one all-reduce of N bytes.
N_BYTES = 356837376 * 2
SCENARIO = """name: dp on v5e
mode: simulate
model: {name: GPT 350M, layers: 24, hidden: 1024, heads: 16, seq_len: 2048, vocab: 51200,
        tokens: 26B}
hardware: {system: tpu-v5e-pod, count: %d}
precision: bf16
training: {micro_batch: 1, global_batch: %d, recompute: full, overlap_comm: false,
           bucket_size: 100 GB}
"""


def mlsim(*args, cwd=SRC):
    p = subprocess.run([MLSIM, *args], cwd=cwd, env=clitest.clean_env(), capture_output=True,
                       timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def share_s(dims, bw, shares):
    """One share of a reduce-scatter: a ring along each dimension in turn (collective.h)."""
    s, t = N_BYTES / shares, 0.0
    for n in dims:
        t += (n - 1) * STEP_S + (n - 1) / n * s / bw
        s /= n
    return t


class TorusTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mlsim_torus_")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_dp(self, count):
        path = os.path.join(self.tmp, "dp.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(SCENARIO % (count, count))
        rc, out, err = mlsim("--format", "csv", path)
        self.assertEqual(rc, 0, err)
        return list(csv.DictReader(io.StringIO(out)))[0]

    def assertRel(self, got, want, rel=1e-9):
        self.assertLessEqual(abs(float(got) - want), rel * abs(want), "%s vs %s" % (got, want))


class TestOneSlice(TorusTestCase):
    def test_full_pod(self):
        # 256 ranks on the 16 x 16 torus, both dimensions rings (2 x 50 = 100 GB/s): two shares,
        # each 15/16 x N/2 / 100 GB/s + 15/16 x N/32 / 100 GB/s + 30 steps; the all-reduce is
        # base + 2 x share = 7.3213 ms (a ring on one 50 GB/s link would take 28.5 ms)
        r = self.run_dp(256)
        self.assertEqual(r["dp"], "256")
        self.assertRel(r["exposed_comm_s"], BASE_S + 2 * share_s([16, 16], 100e9, 2))

    def test_open_lines(self):
        # 16 ranks: a 4 x 4 slice, which does not wrap on v5e (only a full 16 does): one link
        # each way along each dimension, 50 GB/s; base + 2 x (3/4 x N/2 + 3/4 x N/8) / 50 GB/s
        # + 12 steps = 13.43 ms
        r = self.run_dp(16)
        self.assertRel(r["exposed_comm_s"], BASE_S + 2 * share_s([4, 4], 50e9, 2))

    def test_assumption_says_the_torus(self):
        path = os.path.join(self.tmp, "dp.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(SCENARIO % (256, 256))
        rc, out, err = mlsim(path)
        self.assertEqual(rc, 0, err)
        self.assertIn("Collectives on the 16x16 slice of the 16x16 torus, 4 links per chip (50 GB/s "
                      "each way each; a dimension wraps at multiples of 16)", out)
        self.assertIn("data-parallel 16 (ring) x 16 (ring)", out)


class TestMultislice(TorusTestCase):
    def test_two_slices(self):
        # 512 chips = 2 slices of 256 (the v5e max_nodes of 1 refused it before): reduce-scatter
        # on each slice's torus (base + one share), an all-reduce of the slice's N/256 over the
        # DCN between the 2 slices at 6.4 Tb/s / 256 = 3.125 GB/s per chip (a ring of 2: base
        # + 2 steps + 2 x 1/2 x N/256 / 3.125 GB/s), then the all-gather (base + one share)
        r = self.run_dp(512)
        rs = BASE_S + share_s([16, 16], 100e9, 2)
        dcn = BASE_S + 2 * STEP_S + 2 * 0.5 * (N_BYTES / 256) / 3.125e9
        self.assertRel(r["exposed_comm_s"], 2 * rs + dcn)

    def test_scenario(self):
        rc, out, err = mlsim("scenarios/multislice_tpu.yaml")
        self.assertEqual(rc, 0, err)
        # 6.4 Tb/s = 800 GB/s per slice; / 256 chips = 3.125 GB/s; v5p 6,144 x 50 Gb/s = 38.4 TB/s
        self.assertIn("4 slices of 256 chips over the data-center network (800 GB/s each way per "
                      "slice, 3.125 GB/s per chip)", out)
        self.assertIn("3 slices of 6144 chips over the data-center network (38.4 TB/s each way "
                      "per slice, 6.25 GB/s per chip)", out)
        # by hand: 16x16, 4 tensor ranks along x (4 of 16 chips: an open line), the 64 data
        # ranks every 4th chip of x (all of it at stride 4: a ring) and all 16 of y (a ring)
        self.assertIn("tensor 4 (line), data-parallel 4 (ring) x 16 (ring)", out)
        rc, out, err = mlsim("--format", "csv", "scenarios/multislice_tpu.yaml")
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual([r["count"] for r in rows], ["256", "1024", "6144", "18432"])
        # four slices do the same tokens in under a third of one slice's time
        self.assertLess(float(rows[1]["time_s"]), float(rows[0]["time_s"]) / 3)

    def test_v5p_holds_three_slices(self):
        # Multislice scales v5p to 18,432 chips: 3 slices of 6,144; a fourth is refused
        rc, out, err = mlsim("run", "--system", "tpu-v5p-pod", "--count", "24576",
                             "--model", "llama-2-70b")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("need 4 nodes, but system 'tpu-v5p-pod' holds at most 3", err)


class TestTpuVsGpu(TorusTestCase):
    def test_v4_slice(self):
        # 1,024 v4 chips: the most cubic box of 16x16x16 is 8x8x16; tensor 8 is all of x and data
        # 8 all of y, both multiples of 4, so both rings (optical wraparound)
        rc, out, err = mlsim("scenarios/tpu_vs_gpu.yaml")
        self.assertEqual(rc, 0, err)
        self.assertIn("Collectives on the 8x8x16 slice of the 16x16x16 torus, 6 links per chip "
                      "(45 GB/s each way each; a dimension wraps at multiples of 4)", out)
        self.assertIn("tensor 8 (ring), data-parallel 8 (ring)", out)


class TestDeviceFile(TorusTestCase):
    def test_show(self):
        # Google Cloud: v5e 400 GB/s two-way over 4 ports = 50 GB/s each way a link, 16x16;
        # v5p 1,200 GB/s over 6 = 100 GB/s, its largest slice 16x16x24
        rc, out, err = mlsim("hw", "show", "tpu-v5e")
        self.assertEqual(rc, 0, err)
        self.assertIn("ici: 50 GB/s each way, 4 a chip", out)
        self.assertIn("Torus        16x16 (a dimension wraps at multiples of 16)", out)
        rc, out, err = mlsim("hw", "show", "tpu-v5p")
        self.assertIn("ici: 100 GB/s each way, 6 a chip", out)
        self.assertIn("Torus        16x16x24 (a dimension wraps at multiples of 4)", out)

    def test_torus_without_ports(self):
        # a torus whose link has no 'ports' is refused at the torus, with its place
        os.makedirs(os.path.join(self.tmp, "tpu"))
        with open(os.path.join(SRC, "hwdb/tpu/tpu-v5e.yaml"), encoding="utf-8") as f:
            text = f.read()
        text = text.replace("id: tpu-v5e", "id: tpu-x").replace("    ports: 4\n", "")
        with open(os.path.join(self.tmp, "tpu", "tpu-x.yaml"), "w", encoding="utf-8") as f:
            f.write(text)
        scenario = os.path.join(self.tmp, "x.yaml")
        with open(scenario, "w", encoding="utf-8") as f:
            f.write(SCENARIO.replace("system: tpu-v5e-pod", "device: tpu-x") % (16, 16))
        rc, out, err = mlsim("--hwdb-add", self.tmp, scenario)
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertIn("tpu-x.yaml:", err)
        self.assertIn("error: a torus needs 'torus.x', 'torus.y' and 'torus.wrap', and a link "
                      "with 'ports'", err)


if __name__ == "__main__":
    raise SystemExit(clitest.main())
