#!/usr/bin/env python3
"""End-to-end tests of `mlsim hw list|show|compare`.

Run as:  python3 tests/cli/test_hw.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only; MLSIM_HWDB is removed from the environment of every call. Golden
numbers are datasheet figures and hand calculations written in the comments, never mlsim's own
output. The last line printed is "N passed, N failed"; the exit status is non-zero on failure.
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_hw.py")

TIMEOUT_S = 10
DECK = ["t4", "a100-pcie-40gb", "tpu-v4", "antminer-s7"]


def hw(*args, env=None):
    p = subprocess.run([MLSIM, "hw", *args], cwd=SRC, env=clitest.clean_env(env),
                       capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class HwTestCase(unittest.TestCase):
    def ok(self, *args, **kw):
        rc, out, err = hw(*args, **kw)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        return out

    def rows(self, *args):
        return list(csv.DictReader(io.StringIO(self.ok(*args, "--format", "csv"))))

    def fails(self, rc_want, *args):
        rc, out, err = hw(*args)
        self.assertEqual(rc, rc_want, err)
        self.assertEqual(out, "")
        return err

    def assertRel(self, got, want, rel):
        self.assertLessEqual(abs(float(got) - want), rel * abs(want), "%s vs %s" % (got, want))


class TestCompare(HwTestCase):
    def test_deck_mu_eta(self):
        r = {x["id"]: x for x in self.rows("compare", *DECK)}
        self.assertEqual(list(r), DECK)
        # T4 datasheet: 65 TFLOPS FP16 at 70 W -> eta = 65e12 / 70 = 0.9286e12 FLOP/s per W;
        # rented at $0.53/h (AWS g4dn.xlarge) -> mu = 65e12 / 0.53 = 122.6e12 per $/h.
        self.assertEqual(r["t4"]["precision"], "fp16")
        self.assertRel(r["t4"]["eta_per_w"], 65e12 / 70, 1e-9)
        self.assertRel(r["t4"]["mu_per_usd_h"], 65e12 / 0.53, 1e-9)
        # A100 PCIe 40GB: 312 TFLOPS at the deck's $8,009.99 -> 38.95e9 FLOP/s per $.
        self.assertRel(r["a100-pcie-40gb"]["mu_per_usd"], 312e12 / 8009.99, 1e-9)
        # TPU v4: 275 TFLOPS bf16 (Google Cloud docs).
        self.assertEqual(r["tpu-v4"]["precision"], "bf16")
        self.assertRel(r["tpu-v4"]["peak"], 275e12, 1e-12)
        # AntMiner S7: 4.8 TH/s, 1,210 W -> 3.967e9 hashes/s per W; hashes, not FLOPs.
        s7 = r["antminer-s7"]
        self.assertEqual((s7["basis"], s7["unit"], s7["precision"]), ("hash", "H/s", "sha256"))
        self.assertRel(s7["eta_per_w"], 4.8e12 / 1210, 1e-9)

    def test_table_says_no_flops(self):
        out = self.ok("compare", *DECK)
        self.assertIn("4.8 TH/s", out)
        self.assertIn("antminer-s7: does no FLOPs", out)
        self.assertIn("928.6 GFLOP/s", out)  # T4 eta, 65e12 / 70

    def test_precision_and_all(self):
        r = self.rows("compare", "t4", "--precision", "fp32")
        self.assertRel(r[0]["peak"], 8.1e12, 1e-12)  # T4 datasheet: 8.1 TFLOPS FP32
        r = self.rows("compare", "t4", "--precision", "bf16")  # Turing has no bf16
        self.assertEqual((r[0]["basis"], r[0]["peak"], r[0]["eta_per_w"]), ("none", "", ""))
        r = self.rows("compare", "t4", "--precision", "all")
        self.assertEqual([x["precision"] for x in r], ["fp64", "fp32", "fp16", "int8"])
        self.assertEqual(r[3]["unit"], "OP/s")

    def test_sort(self):
        # eta by hand: T4 65e12/70 = 929e9, A100 PCIe 312e12/250 = 1248e9, TPU v4 275e12/340 =
        # 809e9; the miner's hashes/s go last whatever the order.
        r = self.rows("compare", *DECK, "--sort", "eta")
        self.assertEqual([x["id"] for x in r], ["a100-pcie-40gb", "t4", "tpu-v4", "antminer-s7"])
        r = self.rows("compare", *DECK, "--sort", "eta_per_w:asc")
        self.assertEqual([x["id"] for x in r], ["tpu-v4", "t4", "a100-pcie-40gb", "antminer-s7"])
        r = self.rows("compare", *DECK, "--sort", "id")
        self.assertEqual([x["id"] for x in r], sorted(DECK))

    def test_json(self):
        r = json.loads(self.ok("compare", "t4", "antminer-s7", "--format", "json"))
        self.assertEqual(r[0]["id"], "t4")
        self.assertIsNone(r[0]["price_usd"])  # no purchase price in the T4's file
        self.assertAlmostEqual(r[1]["peak"], 4.8e12)

    def test_sparse_and_system(self):
        r = {x["id"]: x for x in self.rows("compare", "cerebras-wse3", "bluegene-l")}
        # WSE-3: "125 PFLOPS" is a sparse headline, marked so.
        self.assertEqual(r["cerebras-wse3"]["basis"], "sparse")
        self.assertRel(r["cerebras-wse3"]["peak"], 125e15, 1e-12)
        # BlueGene/L, Top500 June 2007: Rpeak 367 TFLOP/s, Rmax 280.6, 1,433 kW
        # -> eta = 367e12 / 1.433e6 = 256.1e6 FLOP/s per W.
        bg = r["bluegene-l"]
        self.assertEqual(bg["precision"], "fp64")
        self.assertRel(bg["rmax_flops"], 280.6e12, 1e-12)
        self.assertRel(bg["eta_per_w"], 367e12 / 1.433e6, 1e-9)


class TestIds(HwTestCase):
    def test_prefix_is_told_the_id(self):
        # Ids are exact, as in a scenario's hardware.device: a prefix unique today would stop
        # being so when a device joins (the README's 'v100' did when the 32GB file came).
        err = self.fails(1, "compare", "a100-p")
        self.assertIn("unknown device 'a100-p' (did you mean 'a100-pcie-40gb'?)", err)

    def test_ambiguous(self):
        err = self.fails(1, "compare", "t4", "a100")
        self.assertIn("mlsim hw: error: unknown device 'a100' (did you mean one of "
                      "a100-pcie-40gb, a100-sxm4-40gb, a100-sxm4-80gb?)", err)

    def test_near_prefix(self):
        # 'h100x' begins like no id; the ids that share its longest beginning, 'h100', are named
        err = self.fails(1, "show", "h100x")
        self.assertIn("(did you mean one of h100-pcie-80gb, h100-sxm5-80gb?)", err)

    def test_option_did_you_mean(self):
        self.assertIn("--formt (did you mean '--format'?)", self.fails(2, "list", "--formt", "csv"))

    def test_did_you_mean(self):
        err = self.fails(1, "show", "antminer-s9")
        self.assertIn("mlsim hw: error: unknown device 'antminer-s9' (did you mean 'antminer-s7'?)",
                      err)

    def test_unknown(self):
        err = self.fails(1, "compare", "xyzzy-quantum-9000", "nothing-here-at-all")
        self.assertIn("unknown device 'xyzzy-quantum-9000'", err)
        self.assertIn("unknown device 'nothing-here-at-all'", err)  # every bad id reported


class TestListShow(HwTestCase):
    def test_list_all_and_kind(self):
        r = self.rows("list")
        self.assertGreaterEqual(len(r), 40)
        kinds = [x["kind"] for x in r]
        self.assertEqual(kinds, sorted(kinds, key=["cpu", "gpu", "tpu", "asic", "system"].index))
        r = self.rows("list", "--kind", "system")
        self.assertEqual([x["id"] for x in r],
                         ["bluegene-l", "dgx-a100-80gb-hdr", "dgx-b200", "dgx-h100-ndr",
                          "gb200-nvl72", "h800-ib-cluster", "hls-gaudi2", "hls-gaudi3",
                          "mi300x-roce", "selene", "tpu-v3-pod", "tpu-v4-pod", "tpu-v5e-pod",
                          "tpu-v5p-pod",
                          "tpu-v6e-pod"])

    def test_show(self):
        out = self.ok("show", "t4")
        self.assertIn("NVIDIA T4 (t4): gpu", out)
        self.assertIn("Sources", out)
        self.assertIn("t4-tensor-core-datasheet-951643.pdf", out)
        out = self.ok("show", "cerebras-wse3")
        self.assertIn("sparse", out)
        out = self.ok("show", "bluegene-l")
        self.assertIn("Rmax", out)
        self.assertIn("280.6 TFLOP/s", out)

    def test_help(self):
        self.assertIn("mlsim hw compare ID...", self.ok("--help"))
        self.assertIn("--sort COLUMN", self.ok("compare", "--help"))


class TestUsage(HwTestCase):
    def test_usage_errors(self):
        self.assertIn("no subcommand", self.fails(2))
        self.assertIn("did you mean 'compare'", self.fails(2, "comapre", "t4"))
        self.assertIn("unknown --format", self.fails(2, "list", "--format", "xml"))
        self.assertIn("did you mean 'gpu'", self.fails(2, "list", "--kind", "gpus"))
        self.assertIn("did you mean 'bf16'", self.fails(2, "compare", "t4", "--precision", "bf17"))
        self.assertIn("unknown or ambiguous --sort", self.fails(2, "compare", "t4", "--sort", "mu"))
        self.assertIn(":asc or :desc", self.fails(2, "compare", "t4", "--sort", "eta:up"))
        self.assertIn("not taken", self.fails(2, "show", "t4", "--kind", "gpu"))
        self.assertIn("show takes one", self.fails(2, "show", "t4", "k80"))
        self.assertIn("at least one", self.fails(2, "compare"))
        self.assertIn("unknown option", self.fails(2, "list", "--bogus"))

    def test_broken_hwdb(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.mkdir(os.path.join(tmp, "gpu"))
            with open(os.path.join(tmp, "gpu", "bad.yaml"), "w") as f:
                f.write("id: bad\nname: Bad\nkind: gpu\nvendor: X\nyear: 2020\n"
                        "peak: {fp32: 10 TFLOPS}\n")  # no sources
            for args in (["list"], ["compare", "bad"]):
                rc, out, err = hw(*args, "--hwdb", tmp)
                self.assertEqual(rc, 1, err)
                self.assertEqual(out, "")
                self.assertRegex(err, r"bad\.yaml:\d+:\d+: error: ")
            rc, out, err = hw("list", env={"MLSIM_HWDB": tmp})  # the variable is read too
            self.assertEqual(rc, 1)



if __name__ == "__main__":
    sys.exit(clitest.main())
