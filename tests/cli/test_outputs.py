#!/usr/bin/env python3
"""End-to-end tests of mlsim's output files and output text: `--trace PATH` and `calibrate -o`
written safely (src/outfile.c), and traces that parse with no slice overlapping the one before it
on its track.

Run as:  python3 tests/cli/test_outputs.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only. Run as any user: where a device node would need root to make, a
FIFO and a symbolic link to /dev/stdout stand in for it (both are refused the same way).
"""
import csv
import io
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_outputs.py")

TIMEOUT_S = 60
SIMULATED = os.path.join(SRC, "scenarios", "gpt3_a100_simulated.yaml")
LAYERS = os.path.join(SRC, "validate", "published", "korthikanti2022_table4.yaml")


def mlsim(*args, cwd=None):
    p = subprocess.run([MLSIM, *args], cwd=cwd or SRC, env=clitest.clean_env(),
                       capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def read(path):
    with open(path, "rb") as f:
        return f.read()


class OutputFileTestCase(unittest.TestCase):
    """Each case in a fresh folder holding a copy of the input, which must come out untouched."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.scenario = os.path.join(self.tmp, "s.yaml")
        shutil.copy(SIMULATED, self.scenario)
        self.layers = os.path.join(self.tmp, "layers.yaml")
        shutil.copy(LAYERS, self.layers)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def refused(self, rc, out, err, path, why):
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")  # nothing half-written
        self.assertIn(path, err)
        self.assertIn(why, err)

    def leftovers(self):
        return sorted(n for n in os.listdir(self.tmp) if n.startswith(".mlsim-out."))


class TestTrace(OutputFileTestCase):
    def trace(self, target):
        return mlsim(self.scenario, "--trace", target, cwd=self.tmp)

    def test_writes_then_replaces(self):
        target = os.path.join(self.tmp, "t.json")
        with open(target, "w") as f:
            f.write("old")
        rc, out, err = self.trace(target)
        self.assertEqual(rc, 0, err)
        self.assertIn("traceEvents", json.loads(read(target)))
        self.assertEqual(self.leftovers(), [])

    def test_input_not_overwritten(self):
        before = read(self.scenario)
        self.refused(*self.trace(self.scenario), self.scenario, "is an input")
        os.link(self.scenario, os.path.join(self.tmp, "same.yaml"))  # same inode, other name
        self.refused(*self.trace("same.yaml"), "same.yaml", "is an input")
        self.assertEqual(read(self.scenario), before)
        self.assertEqual(self.leftovers(), [])

    def test_fifo_refused(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        self.refused(*self.trace(fifo), fifo, "not a regular file")  # and no hang on the FIFO
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_symlink_refused(self):
        for name, to in (("out", "/dev/stdout"), ("in", self.scenario)):
            link = os.path.join(self.tmp, "link-" + name)
            os.symlink(to, link)
            self.refused(*self.trace(link), link, "not a regular file")
            self.assertTrue(os.path.islink(link))
        self.assertEqual(self.leftovers(), [])

    @unittest.skipIf(os.geteuid() == 0, "as root a regression would replace /dev/null itself "
                     "(the old --trace did); the FIFO and symlink cases stand in for it")
    def test_device_refused(self):
        self.refused(*self.trace("/dev/null"), "/dev/null", "not a regular file")

    def test_stdout_when_asked(self):
        rc, out, err = self.trace("-")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith('{"displayTimeUnit"'))


class TestCalibrateOutput(OutputFileTestCase):
    def test_input_not_overwritten(self):
        before = read(self.layers)
        rc, out, err = mlsim("calibrate", self.layers, "-o", self.layers, cwd=self.tmp)
        self.refused(rc, out, err, self.layers, "is an input")
        self.assertEqual(read(self.layers), before)

    def test_fifo_and_symlink_refused(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        link = os.path.join(self.tmp, "link")
        os.symlink("/dev/stdout", link)
        for target in (fifo, link) + (() if os.geteuid() == 0 else ("/dev/null",)):
            rc, out, err = mlsim("calibrate", self.layers, "-o", target, cwd=self.tmp)
            self.refused(rc, out, err, target, "not a regular file")

    def test_writes_block(self):
        rc, out, err = mlsim("calibrate", self.layers, "-o", "block.yaml", cwd=self.tmp)
        self.assertEqual(rc, 0, err)
        self.assertIn(b"gemm_efficiency:", read(os.path.join(self.tmp, "block.yaml")))
        self.assertEqual(self.leftovers(), [])


# A run name with a formula start, an escape sequence, BEL, a C1 control (NEL), CSV's own
# quote and comma and a line feed. (A byte that is not UTF-8 is refused where it enters: see
# test_invalid_utf8_is_refused_at_input.)
ODD_NAME = b'=cmd\x1b[31m\x07\xc2\x85 "q", x\ny'
MNIST = os.path.join(SRC, "scenarios", "mnist_mlp_cpu_vs_gpu.yaml")


def odd(*args):
    p = subprocess.run([MLSIM.encode(), MNIST.encode(), b"--set", b"name=" + ODD_NAME,
                        *[a.encode() for a in args]], cwd=SRC, env=clitest.clean_env(),
                       capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout, p.stderr.decode()


def no_controls(test, text):
    test.assertFalse([c for c in text if ord(c) < 0x20 and c not in "\n\r" or
                      0x7f <= ord(c) <= 0x9f], text)


class TestOutputParses(unittest.TestCase):
    """Names from input files cannot break CSV, JSON or the trace (src/textio.c)."""

    def test_csv(self):
        rc, out, err = odd("--format", "csv")
        self.assertEqual(rc, 0, err)
        rows = list(csv.reader(io.StringIO(out.decode("utf-8"))))  # strict UTF-8 decoding
        name = rows[1][0]
        # OWASP: a cell beginning with = is quoted behind a single quote; U+FFFD for the escape,
        # BEL, NEL and the stray byte; the quote, comma and line feed survive quoting
        self.assertEqual(name, "'=cmd\ufffd[31m\ufffd\ufffd \"q\", x\ny")
        self.assertEqual(len(rows[1]), len(rows[0]))
        no_controls(self, name.replace("\n", ""))

    def test_json(self):
        rc, out, err = odd("--format", "json")
        self.assertEqual(rc, 0, err)
        text = out.decode("utf-8")  # strict: invalid UTF-8 raises
        self.assertNotIn("\x1b", text)  # written as \u001b, not raw
        # the controls come back through the escapes
        self.assertEqual(json.loads(text)["runs"][0]["name"],
                         "=cmd\x1b[31m\x07\x85 \"q\", x\ny")

    def test_trace(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.json")
            rc, _, err = odd("--trace", path)
            self.assertEqual(rc, 0, err)
            doc = json.loads(read(path).decode("utf-8"))
        names = [e["args"]["name"] for e in doc["traceEvents"] if e.get("name") == "process_name"]
        self.assertIn("=cmd\x1b[31m\x07\x85 \"q\", x\ny", names)

    def test_invalid_utf8_is_refused_at_input(self):
        p = subprocess.run([MLSIM.encode(), MNIST.encode(), b"--set", b"name=x\xffy"],
                           cwd=SRC, env=clitest.clean_env(), capture_output=True,
                           timeout=TIMEOUT_S)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, b"")
        self.assertIn(b"--set:1:", p.stderr)
        self.assertIn(b"invalid UTF-8", p.stderr)


class TestTraceTimes(unittest.TestCase):
    def test_no_slice_overlaps_its_predecessor(self):
        """Times are whole nanoseconds (at most 3 decimals of a microsecond), and on a track each
        slice starts no earlier than the one before it ends: the engine serves a stream's tasks
        one at a time, so any overlap is the writer's rounding."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.json")
            rc, _, err = mlsim(os.path.join(SRC, "scenarios", "gpt_1.3b_dgx_a100.yaml"),
                               "--trace", path)
            self.assertEqual(rc, 0, err)
            text = read(path).decode()
        self.assertNotRegex(text, r'"(ts|dur)": -?\d+\.\d{4}')
        doc = json.loads(text, parse_float=lambda s: round(float(s) * 1000))  # to integer ns
        tracks = {}
        for e in doc["traceEvents"]:
            if e["ph"] == "X":
                tracks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["dur"]))
        slices = 0
        for spans in tracks.values():
            spans.sort()
            slices += len(spans)
            for (ts, dur), (nxt, _) in zip(spans, spans[1:]):
                self.assertLessEqual(ts + dur, nxt)
        self.assertGreater(slices, 10000)


class TestBoundedWork(unittest.TestCase):
    """A step past MLSIM_SIM_MAX_TASKS (src/sim.h) is refused, quickly and with a message,
    instead of taking the machine's memory."""

    def check_refused(self, scenario, setting):
        rc, out, err = mlsim(os.path.join(SRC, "scenarios", scenario), "--set", setting)
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertIn("error", err)

    def test_billion_layers(self):
        self.check_refused("gpt3_a100_simulated.yaml", "model.layers=1000000000")



class TestLongSteps(unittest.TestCase):
    """A step of very many micro-batches is folded (src/cluster.c, src/step.c): its repeating
    steady state is simulated at a few short counts and extended, so it runs in the memory of a
    short step. Past the pipeline's fill, 1F1B adds the same work per micro-batch (Narayanan et
    al. 2021, Sec. 2.2), so the step is affine in the batch: equal batch increments add equal
    time."""

    def step_s(self, scenario, batch):
        rc, out, err = mlsim(os.path.join(SRC, "scenarios", scenario), "--format", "csv",
                             "--set", "training.global_batch=%d" % batch)
        self.assertEqual(rc, 0, err)
        rows = list(csv.DictReader(io.StringIO(out)))
        return float(rows[0]["step_time_s"])

    def check_affine(self, scenario, batch):
        t1, t2, t3 = (self.step_s(scenario, k * batch) for k in (1, 2, 3))
        self.assertGreater(t2, t1)
        self.assertAlmostEqual((t3 - t2) / (t2 - t1), 1.0, delta=1e-6)

    def test_huge_batch_cluster(self):
        # 1,536,000 sequences: 1,000 times GPT-3's batch, 192,000 micro-batches of each of 16
        # pipeline stages forward and backward, over 6 million tasks unfolded (past the limit)
        self.check_affine("gpt3_a100_simulated.yaml", 1536000)

    def test_largest_batch_cluster(self):
        # the largest batch the scenario takes (1e9, rounded down to a multiple of micro-batch x
        # data-parallel, 1 x 8): 125 million micro-batches, 64 GB of pipeline bookkeeping unfolded
        t = self.step_s("gpt3_a100_simulated.yaml", 999999488)
        t0 = self.step_s("gpt3_a100_simulated.yaml", 1536)
        # GPT-3's batch of 1,536 is 192 micro-batches; this is 651,041.3 times as many: the step
        # grows by about that factor (less the fill and drain, which do not grow)
        self.assertAlmostEqual(t / t0 / (999999488 / 1536), 1.0, delta=0.2)

    def test_huge_batch_one_node(self):
        self.check_affine("gpt_1.3b_dgx_a100.yaml", 100000000)

if __name__ == "__main__":
    raise SystemExit(clitest.main())
