#!/usr/bin/env python3
"""Careless input at the edges of the run layer: a shape derived for an absurd count, a run
shorter than one step, numbers too large to group, more distinct assumptions than a table prints.

Run as:  python3 tests/cli/test_limits.py <path-to-mlsim-binary> <source-root>
"""
import json
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_limits.py")
TIMEOUT_S = 60


def run(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run([MLSIM, *args, f.name], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
    finally:
        os.unlink(f.name)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


ANALYTIC = ("name: a\nmodel: {params: 175B, tokens: 300B}\n"
            "hardware: {device: a100-sxm4-40gb, count: 1024}\nprecision: bf16\nmfu: 50%\n"
            "economics: {price_per_device_hour: $1.5/h}\n")


class Limits(unittest.TestCase):
    def test_shape_for_an_absurd_count_is_refused(self):
        # 1e30 parameters by the GPT-3 rule would need ~1.7e8 layers of ~1e11: past an int
        rc, out, err = run("name: n\nmode: simulate\nmodel: {params: 1e30, tokens: 1T}\n"
                           "hardware: {device: a100-sxm4-80gb, count: 8}\nprecision: bf16\n")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r":3:\d+: error: a shape is derived for at most 1e\+16 parameters")

    def test_run_shorter_than_a_step_takes_the_step(self):
        # 1,000 tokens against a step of 64 x 2048 = 131,072: the run is one step, not 1/131 of one
        rc, out, err = run("name: s\nmode: simulate\nmodel: {layers: 24, hidden: 2048, heads: 16,"
                           " seq_len: 2048, vocab: 51200, tokens: 1000}\n"
                           "hardware: {system: dgx-a100-80gb-hdr, count: 8}\nprecision: bf16\n"
                           "training: {micro_batch: 1, global_batch: 64}\n", "--format", "json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)["runs"][0]
        self.assertEqual(r["steps"], 1)
        self.assertAlmostEqual(r["time_s"], r["step_time_s"], delta=1e-12 * r["time_s"])

    def test_huge_money_is_printed_as_a_number(self):
        # $1e150 an hour x 560,897 device-hours = $5.609e155: no 64-digit buffer, no wrong digits
        rc, out, err = run(ANALYTIC.replace("$1.5/h", "$1e150/h"))
        self.assertEqual(rc, 0, err)
        cost = [l for l in out.splitlines() if l.strip().startswith("Cost")][0]
        self.assertIn("5.609e+155", cost)

    def test_more_assumptions_than_a_table_prints_are_counted(self):
        # 301 runs, each with its own assumed MFU (10% to 40% by 0.1%): 301 distinct MFU lines
        rc, out, err = run(ANALYTIC + "sweep:\n  mfu: {from: 0.1, to: 0.4, step: 0.001}\n")
        self.assertEqual(rc, 0, err)
        shown = [l for l in out.splitlines() if l.startswith("  - ")]
        self.assertEqual(len(shown), 257)  # 256 distinct lines, then the count of the rest
        self.assertIn("more assumptions not shown here", shown[-1])


class Shapes(unittest.TestCase):
    def test_heads_that_do_not_divide_the_width(self):
        # 1000 wide in 7 heads: no layout can split it (it reached unallocated arrays before)
        rc, out, err = run("name: h\nmode: simulate\nmodel: {layers: 4, hidden: 1000, heads: 7, "
                           "seq_len: 128, vocab: 1000, tokens: 1B}\n"
                           "hardware: {system: dgx-a100-80gb-hdr, count: 16}\nprecision: bf16\n"
                           "training: {micro_batch: 1, global_batch: 16, tp: 1, pp: 2}\n")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r":6:\d+: error: the 7 attention heads must divide the hidden "
                              r"width 1000")


class Cells(unittest.TestCase):
    def test_a_long_name_is_cut_between_characters(self):
        # "x" and 16 two-byte e-acutes (33 bytes) in a 30-byte cell: "x" and 14 of them fit (29
        # bytes); the 15th would need bytes 30 and 31, so it is left out whole
        name = "x" + "\u00e9" * 16
        rc, out, err = run("runs:\n  - name: \"%s\"\n    model: {params: 1B, tokens: 20B}\n"
                           "    hardware: {device: a100-sxm4-40gb, count: 8}\n"
                           "    precision: bf16\n    mfu: 40%%\n" % name)
        self.assertEqual(rc, 0, err)  # run() decodes stdout as strict UTF-8
        row = [l for l in out.splitlines() if l.startswith("x")][0]
        self.assertTrue(row.startswith("x" + "\u00e9" * 14 + " "), row)


if __name__ == "__main__":
    raise SystemExit(clitest.main())
