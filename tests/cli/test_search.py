#!/usr/bin/env python3
"""End-to-end tests of `mlsim search`: the space, the rejections and their reasons, the limits,
the formats, and the closed form's top K holding the simulation's best (--check).

Run as:  python3 tests/cli/test_search.py <path-to-mlsim-binary> <source-root>
"""
import csv
import io
import json
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_search.py")
TIMEOUT_S = 120
GPT3 = "scenarios/gpt3_a100_simulated.yaml"

# A GPT-3 XL-like model (24 layers of 2048) on two DGX A100 nodes: a space small enough to
# simulate whole.
XL = ("name: xl\nmode: simulate\n"
      "model: {layers: 24, hidden: 2048, heads: 16, seq_len: 2048, vocab: 51200, tokens: 20B}\n"
      "hardware: {system: dgx-a100-80gb-hdr, count: 16}\nprecision: bf16\n"
      "training: {micro_batch: 1, global_batch: 64, attention: flash}\n"
      "economics: {price_per_device_hour: $2/h}\n")


def search(path, *args):
    p = subprocess.run([MLSIM, "search", path, *args], cwd=SRC, env=clitest.clean_env(),
                       capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def search_text(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    try:
        return search(f.name, *args)
    finally:
        os.unlink(f.name)


class Search(unittest.TestCase):
    def test_gpt3_space(self):
        rc, out, err = search(GPT3, "--format", "json")
        self.assertEqual(rc, 0, err)
        j = json.loads(out)
        self.assertGreaterEqual(j["considered"], 10000)
        # every layout is accounted for: rejected for a reason, or ranked
        self.assertEqual(j["considered"], j["rejected_tiling"] + j["rejected_memory"] +
                         j["rejected_limits"] + j["ranked"])
        self.assertEqual(j["simulated"], 8)
        rows = j["layouts"]
        self.assertEqual(len(rows), 8)
        times = [r["time_s"] for r in rows]
        self.assertEqual(times, sorted(times))
        for r in rows:
            # each layout tiles: tp x pp x dp devices, tp divides the 96 heads, pp the 96 layers
            self.assertEqual(r["tp"] * r["pp"] * r["dp"], 1024)
            self.assertEqual(96 % r["tp"], 0)
            self.assertEqual(96 % (r["pp"] * r["interleave"]), 0)
            self.assertEqual(1536 % (r["micro_batch"] * r["dp"]), 0)
            self.assertLessEqual(r["mem_per_device_bytes"], 80e9)  # an A100 80GB
            self.assertIn("simulated_step_s", r)

    def test_check_holds_on_a_space_simulated_whole(self):
        rc, out, err = search_text(XL, "--check", "--format", "json", "--top", "3")
        self.assertEqual(rc, 0, err)
        j = json.loads(out)
        self.assertEqual(j["simulated"], j["ranked"])
        self.assertTrue(j["check_holds"], j)

    def test_limits_reject_with_their_reason(self):
        # a 20B-token run of 1.3B parameters on 16 A100s takes hours, not minutes: a deadline of
        # one minute leaves nothing, and says so (exit 0: an empty answer is an answer)
        rc, out, err = search_text(XL, "--deadline", "1min")
        self.assertEqual(rc, 0, err)
        self.assertIn("No layout is left", out)
        rc, out, err = search_text(XL, "--deadline", "1min", "--format", "json")
        j = json.loads(out)
        self.assertEqual(j["ranked"], 0)
        self.assertGreater(j["rejected_limits"], 0)
        # a budget: every row kept costs at most it
        rc, out, err = search_text(XL, "--budget", "$400", "--format", "json", "--top", "50")
        self.assertEqual(rc, 0, err)
        for r in json.loads(out)["layouts"]:
            self.assertLessEqual(r["cost_usd"], 400.0 * 1.2)  # simulated may exceed closed form

    def test_counts_and_objective(self):
        rc, out, err = search_text(XL, "--counts", "8,16", "--objective", "cost", "--format",
                                   "csv")
        self.assertEqual(rc, 0, err)
        lines = out.strip().split("\n")
        self.assertTrue(lines[0].startswith("rank,device,count,tp,pp,dp,"))
        costs = [float(l.split(",")[16]) for l in lines[1:]]
        self.assertEqual(costs, sorted(costs))

    def test_context_parallelism_is_shown(self):
        # 131,072-token sequences on 64 H100s: the best layouts split each sequence (cp > 1);
        # the table writes TP a/c, the CSV a cp column, and every row still tiles the devices:
        # tp x cp x pp x dp = 64
        text = ("name: long\nmode: simulate\nmodel: {layers: 32, hidden: 4096, heads: 32, "
                "kv_heads: 8, ffn: 14336, gated_mlp: true, seq_len: 131072, vocab: 128256, "
                "tokens: 10B}\nhardware: {system: dgx-h100-ndr, count: 64}\nprecision: bf16\n"
                "training: {micro_batch: 1, global_batch: 64, attention: flash}\n"
                "economics: {price_per_device_hour: $2/h}\n")
        rc, out, err = search_text(text, "--top", "3", "--format", "csv")
        self.assertEqual(rc, 0, err)
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertTrue(rows)
        for r in rows:
            self.assertEqual(int(r["tp"]) * int(r["cp"]) * int(r["pp"]) * int(r["dp"]), 64)
        self.assertGreater(int(rows[0]["cp"]), 1)
        rc, out, err = search_text(text, "--top", "3")
        self.assertIn("TP a/c: tensor parallelism a beside c-way context parallelism", out)

    def test_bad_usage(self):
        rc, out, err = search(GPT3, "--objective", "speed")
        self.assertEqual(rc, 2)
        self.assertIn("time, cost or energy", err)
        self.assertEqual(out, "")
        rc, out, err = search(GPT3, "--deadline", "soon")
        self.assertEqual(rc, 2)
        rc, out, err = search("tests/data/bad_unknown_key.yaml")
        self.assertEqual(rc, 1)
        self.assertIn("error:", err)


class Progress(unittest.TestCase):
    def test_silent_when_piped(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(XL)
        try:
            p = subprocess.run([MLSIM, "search", f.name, "--check"], cwd=SRC,
                               env=clitest.clean_env({"MLSIM_PROGRESS_AFTER": "0"}),
                               capture_output=True, timeout=TIMEOUT_S)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr, b"")

    def test_drawn_on_a_terminal(self):
        import pty
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(XL)
        master, slave = pty.openpty()
        try:
            p = subprocess.run([MLSIM, "search", f.name, "--check"], cwd=SRC,
                               env=clitest.clean_env({"MLSIM_PROGRESS_AFTER": "0"}),
                               stdout=subprocess.PIPE, stderr=slave, timeout=TIMEOUT_S)
            os.close(slave)
            seen = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            os.close(master)
            os.unlink(f.name)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"mlsim: simulating layout 1 of", seen)
        self.assertTrue(seen.endswith(b"\r\x1b[K"), seen[-40:])  # the line is cleared


if __name__ == "__main__":
    raise SystemExit(clitest.main())
