"""training.framework: the host work per kernel and per step of a named framework (framework.h),
and the lecture's CPU-vs-GPU crossover that follows from it in scenarios/mnist_mlp_cpu_vs_gpu.yaml.
Expected values are hand formulas over the cited figures (7 us of dispatch per operator, 3.8 us
per CUDA launch, 5.8 us per synchronisation) and the kernels the run's own trace lists."""
import csv
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths(__file__)
MNIST = os.path.join(SRC, "scenarios", "mnist_mlp_cpu_vs_gpu.yaml")
DISPATCH_S, LAUNCH_S, SYNC_S = 7e-6, 3.8e-6, 5.8e-6
TIMEOUT_S = 120


def mlsim(*args):
    p = subprocess.run([MLSIM, *args], cwd=SRC, env=clitest.clean_env(), capture_output=True,
                       text=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout, p.stderr


def rows(*args):
    rc, out, err = mlsim("--format", "csv", *args)
    if rc != 0:
        raise AssertionError(err)
    return list(csv.DictReader(io.StringIO(out)))


def kinds():
    """Device id -> kind, from the hardware database itself."""
    return {r["id"]: r["kind"] for r in rows_hw()}


def rows_hw():
    rc, out, err = mlsim("hw", "list", "--format", "csv")
    if rc != 0:
        raise AssertionError(err)
    return list(csv.DictReader(io.StringIO(out)))


def one_run(device, width, framework):
    return ("mode: simulate\nname: n=%d\nprecision: fp32\n"
            "model: {type: mlp, widths: [784, %d, %d, 10], tokens: 1.2M}\n"
            "hardware: {device: %s, count: 1}\n"
            "training: {micro_batch: 128, global_batch: 128, optimizer: rmsprop, framework: %s}\n"
            "economics: {price_per_device_hour: $0.5/h, device_power: 5 W}\n"
            % (width, width, width, device, framework))


def compute_kernels(text, d):
    """The compute-stream kernels of the run's simulated step, in order: (name, seconds)."""
    path = os.path.join(d, "s.yaml")
    with open(path, "w") as f:
        f.write(text)
    trace = os.path.join(d, "t.json")
    rc, out, err = mlsim(path, "--trace", trace)
    if rc != 0:
        raise AssertionError(err)
    with open(trace) as f:
        events = json.load(f)["traceEvents"]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("name") == "thread_name"}
    return [(e["name"], e["dur"] * 1e-6) for e in events
            if e.get("ph") == "X" and names.get((e["pid"], e["tid"])) == "compute"]


class Framework(unittest.TestCase):
    def step(self, device, width, framework):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.yaml")
            with open(path, "w") as f:
                f.write(one_run(device, width, framework))
            return rows(path)[0]

    def test_cpu_pays_dispatch_on_every_kernel(self):
        # The CPU is its own host: the step grows by kernels x 7 us, nothing more.
        with tempfile.TemporaryDirectory() as d:
            kernels = compute_kernels(one_run("epyc-zen5-2vcpu", 64, "none"), d)
        lean = self.step("epyc-zen5-2vcpu", 64, "none")
        eager = self.step("epyc-zen5-2vcpu", 64, "pytorch")
        want = float(lean["step_time_s"]) + len(kernels) * DISPATCH_S
        self.assertAlmostEqual(float(eager["step_time_s"]), want, delta=1e-12)
        self.assertAlmostEqual(float(eager["closed_form_step_s"]), want, delta=1e-12)

    def test_gpu_small_network_is_host_bound(self):
        # n = 1 on the RTX 3090: every kernel is shorter than the host's 7 + 3.8 us per kernel, so
        # the host sets the pace: kernel i is issued at i x 10.8 us and starts then (the input
        # copy, ahead of the first, is done by then or it waits for it); the step ends with the
        # last kernel and the 5.8 us synchronisation.
        with tempfile.TemporaryDirectory() as d:
            kernels = compute_kernels(one_run("rtx-3090", 1, "none"), d)
        per = DISPATCH_S + LAUNCH_S
        self.assertTrue(all(t < per for _, t in kernels[1:]), kernels)
        eager = self.step("rtx-3090", 1, "pytorch")
        want = len(kernels) * per + kernels[-1][1] + SYNC_S
        # the trace gives durations to the nanosecond: 1e-9 s per kernel read from it
        self.assertAlmostEqual(float(eager["step_time_s"]), want, delta=1e-9)
        self.assertAlmostEqual(float(eager["closed_form_step_s"]), want, delta=1e-9)

    def test_gpu_large_network_hides_the_host(self):
        # n = 4096: the GEMMs are long, the host runs ahead; the step is the device's work plus at
        # most the first kernel's issue and the synchronisation.
        lean = float(self.step("rtx-3090", 4096, "none")["step_time_s"])
        eager = float(self.step("rtx-3090", 4096, "pytorch")["step_time_s"])
        self.assertGreater(eager, lean)
        self.assertLess(eager - lean, 0.05 * lean)

    def test_assumption_names_the_figures(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.yaml")
            with open(path, "w") as f:
                f.write(one_run("rtx-3090", 16, "pytorch"))
            rc, out, err = mlsim(path)
        self.assertEqual(rc, 0, err)
        self.assertIn("Framework pytorch: the host issues each kernel ahead of rtx-3090, 10.8 us",
                      out)
        self.assertIn("PyTorch issue 41383", out)

    def test_unknown_framework_is_located_with_a_suggestion(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.yaml")
            with open(path, "w") as f:
                f.write(one_run("rtx-3090", 16, "pytorh"))
            rc, out, err = mlsim(path)
        self.assertEqual((rc, out), (1, ""))
        self.assertRegex(err, r"s\.yaml:6:\d+: error: .*'pytorh'.*did you mean 'pytorch'")

    def test_inference_pays_the_host_too(self):
        # Under a latency bound, host work per kernel leaves less time for the batch: never a
        # larger batch than without it, and the assumptions say how the kernels were issued.
        inf = os.path.join("scenarios", "inference_k80_tpu_p40.yaml")
        lean = rows(inf)
        eager = rows(inf, "--set", "training.framework=pytorch")
        for a, b in zip(lean, eager):
            self.assertLessEqual(int(b["batch"]), int(a["batch"]), a["name"])
        self.assertLess(sum(int(r["batch"]) for r in eager), sum(int(r["batch"]) for r in lean))
        rc, out, err = mlsim(inf, "--set", "training.framework=pytorch")
        self.assertEqual(rc, 0, err)
        self.assertIn("the forward kernels as the framework issues them", out)

    def test_cluster_runs_refuse_a_framework(self):
        rc, out, err = mlsim(os.path.join("scenarios", "gpt3_a100_simulated.yaml"), "--set",
                             "training.framework=pytorch")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("training.framework is modelled on one node's data parallelism only", err)


DS_RUN = """defaults:
  mode: simulate
  hardware: {system: selene, count: 32}
  precision: fp16
  model: {layers: 8, hidden: 4096, heads: 32, seq_len: 2048, vocab: 51200, tokens: 1B}
  economics: {price_per_device_hour: $1/h}
runs:
  - name: interleaved
    training: {framework: deepspeed, tp: 8, pp: 2, micro_batch: 1, global_batch: 32, schedule: interleaved, interleave: 2}
  - name: zero2
    training: {framework: deepspeed, tp: 8, pp: 2, micro_batch: 1, global_batch: 32, sharding: zero2}
  - name: overlap
    training: {framework: deepspeed, tp: 8, pp: 2, micro_batch: 1, global_batch: 32, overlap_comm: true}
"""
MTNLG = os.path.join("validate", "published", "mtnlg_deepspeed.yaml")
MEGATRON = os.path.join("validate", "published", "megatron2021_table1.yaml")
BLOOM = os.path.join("validate", "published", "bloom_deepspeed.yaml")


class Profiles(unittest.TestCase):
    """training.framework as a profile of the cluster step (framework.h): megatron is the default's
    step, deepspeed DeepSpeed's PipelineEngine (deepspeed/runtime/pipe/engine.py, schedule.py)."""

    def test_megatron_is_the_default_step(self):
        for fmt in ("table", "csv", "json"):
            rc, plain, err = mlsim("--format", fmt, MEGATRON)
            self.assertEqual(rc, 0, err)
            rc, named, err = mlsim("--format", fmt, MEGATRON, "--set", "training.framework=megatron")
            self.assertEqual(rc, 0, err)
            self.assertEqual(named, plain, fmt)

    def test_what_the_engine_lacks_is_an_error_at_its_place(self):
        # DeepSpeed's engine has one training schedule (TrainSchedule, 1F1B), asserts that ZeRO-2
        # and -3 do not run beside a pipeline, and turns the backward's all-reduce off.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.yaml")
            with open(path, "w") as f:
                f.write(DS_RUN)
            rc, out, err = mlsim(path)
        self.assertEqual((rc, out), (1, ""))
        self.assertRegex(err, r"s\.yaml:9:\d+: error: run 'interleaved': training.framework "
                              r"deepspeed pipelines with 1f1b only, not interleaved")
        self.assertRegex(err, r"s\.yaml:11:\d+: error: run 'zero2': training.framework deepspeed "
                              r"runs at most zero1 beside a pipeline, not zero2")
        self.assertRegex(err, r"s\.yaml:13:\d+: error: run 'overlap': training.framework "
                              r"deepspeed reduces gradients after the pipeline's flush")

    def test_a_chosen_pipeline_is_held_to_the_engine_too(self):
        # No layout given: mlsim chooses tensor 8 x pipeline 2, and DeepSpeed's pipeline engine
        # then cannot reduce during the backward pass that the run asked for.
        text = ("mode: simulate\nname: derived\nhardware: {system: selene, count: 64}\n"
                "precision: fp16\nmodel: {layers: 48, hidden: 8192, heads: 64, seq_len: 2048, "
                "vocab: 51200, tokens: 1B}\ntraining: {framework: deepspeed, micro_batch: 1, "
                "global_batch: 64%s}\neconomics: {price_per_device_hour: $1/h}\n")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.yaml")
            with open(path, "w") as f:
                f.write(text % ", overlap_comm: true")
            rc, out, err = mlsim(path)
            self.assertEqual((rc, out), (1, ""))
            self.assertRegex(err, r"s\.yaml:6:\d+: error: run 'derived': training.framework "
                                  r"deepspeed reduces gradients after the pipeline's flush")
            with open(path, "w") as f:
                f.write(text % "")
            rc, out, err = mlsim(path)
        self.assertEqual(rc, 0, err)
        self.assertIn("tensor 8 x pipeline 2 x data 4", out)
        self.assertIn("Framework deepspeed: 1f1b", out)

    def test_a_misspelt_profile_is_suggested(self):
        rc, out, err = mlsim(MTNLG, "--set", "training.framework=deepsped")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("did you mean 'deepspeed'?", err)

    def test_blocking_sends_only_slow_the_step(self):
        # The same layout under Megatron-LM's sends (reduction after the backward, as DeepSpeed
        # does) is never slower: a blocking send holds both stages' compute.
        for path, n in ((MTNLG, 3), (BLOOM, 1)):
            ds = rows(path)
            mg = rows(path, "--set", "training.framework=megatron", "--set",
                      "training.overlap_comm=false")
            self.assertEqual(len(ds), n)
            for a, b in zip(ds, mg):
                self.assertGreater(float(a["step_time_s"]), float(b["step_time_s"]), a["name"])
        rc, out, err = mlsim(MTNLG)
        self.assertEqual(rc, 0, err)
        self.assertIn("Framework deepspeed: 1f1b, each send between stages blocking", out)
        self.assertIn("gradients reduced only after the pipeline's flush", out)

    def test_without_a_pipeline_the_profiles_agree(self):
        # DeepSpeed's switches are its pipeline engine's: one stage (tensor and data parallelism,
        # gradients in buckets during the backward) runs the default's step, its buckets the one
        # thing apart (DeepSpeed's reduce_bucket_size against Megatron-core's; framework.c), so
        # the comparison gives both the same bucket.
        text = DS_RUN[:DS_RUN.index("runs:")] + (
            "runs:\n  - name: flat\n"
            "    training: {framework: %s, tp: 8, pp: 1, micro_batch: 1, global_batch: 32,\n"
            "               bucket_size: 100 MB}\n")
        got = {}
        with tempfile.TemporaryDirectory() as d:
            for word in ("deepspeed", "megatron"):
                path = os.path.join(d, word + ".yaml")
                with open(path, "w") as f:
                    f.write(text % word)
                got[word] = rows(path)
        self.assertEqual(got["deepspeed"], got["megatron"])


    def test_search_offers_only_what_the_engine_runs(self):
        text = ("mode: simulate\nname: small\nhardware: {system: selene, count: 32}\n"
                "precision: fp16\nmodel: {layers: 8, hidden: 4096, heads: 32, seq_len: 2048, "
                "vocab: 51200, tokens: 1B}\ntraining: {framework: %s, micro_batch: 1, "
                "global_batch: 64}\neconomics: {price_per_device_hour: $1/h}\n")
        lacking = {}
        with tempfile.TemporaryDirectory() as d:
            for word in ("deepspeed", "megatron"):
                path = os.path.join(d, word + ".yaml")
                with open(path, "w") as f:
                    f.write(text % word)
                rc, out, err = mlsim("search", path, "--top", "300", "--format", "csv")
                self.assertEqual(rc, 0, err)
                found = list(csv.DictReader(io.StringIO(out)))
                self.assertTrue(any(int(r["pp"]) > 1 for r in found), word)
                lacking[word] = [r for r in found if int(r["pp"]) > 1 and (
                    r["schedule"] != "1f1b" or r["sharding"] in ("zero2", "zero3"))]
        self.assertEqual(lacking["deepspeed"], [])
        self.assertNotEqual(lacking["megatron"], [])

    def test_closed_form_holds_under_blocking_sends(self):
        # The closed form (closed.c) ranks the search without DeepSpeed's blocking sends; every
        # layout it ranks stays within DEVELOPERS.md's 8.5% of the simulated step.
        text = ("mode: simulate\nname: small\nhardware: {system: selene, count: 32}\n"
                "precision: fp16\nmodel: {layers: 8, hidden: 4096, heads: 32, seq_len: 2048, "
                "vocab: 51200, tokens: 1B}\ntraining: {framework: deepspeed, micro_batch: 1, "
                "global_batch: 64}\neconomics: {price_per_device_hour: $1/h}\n")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.yaml")
            with open(path, "w") as f:
                f.write(text)
            rc, out, err = mlsim("search", path, "--check", "--top", "400", "--format", "csv")
        self.assertEqual(rc, 0, err)
        piped = [r for r in csv.DictReader(io.StringIO(out)) if int(r["pp"]) > 1]
        self.assertGreater(len(piped), 50)
        for r in piped:
            gap = float(r["closed_form_step_s"]) / float(r["simulated_step_s"]) - 1
            self.assertLess(abs(gap), 0.085, r)


class Crossover(unittest.TestCase):
    """The deck's finding: the GPU slower than the CPU on the smallest network, faster on the
    largest, with one crossing between; widths come from the scenario, not from this test."""

    def test_cpu_wins_smallest_gpu_wins_largest(self):
        kind = kinds()
        by_kind = {"cpu": {}, "gpu": {}}
        for r in rows(MNIST):
            by_kind[kind[r["device"]]][float(r["params"])] = float(r["time_s"])
        cpu, gpu = by_kind["cpu"], by_kind["gpu"]
        self.assertEqual(sorted(cpu), sorted(gpu))
        sizes = sorted(cpu)
        self.assertGreater(len(sizes), 2)
        self.assertLess(cpu[sizes[0]], gpu[sizes[0]])
        self.assertLess(gpu[sizes[-1]], cpu[sizes[-1]])
        # one crossing: the sign of (CPU - GPU) changes once along the widths
        signs = [cpu[p] < gpu[p] for p in sizes]
        self.assertEqual(sum(a != b for a, b in zip(signs, signs[1:])), 1, signs)

    def test_the_lean_trainer_is_still_what_validate_compares(self):
        # compare_mlp.py measures a framework-free C trainer: with training.framework=none the
        # CPU rows are those of the kernel model alone, shorter than the eager ones.
        eager = {r["name"]: float(r["step_time_s"]) for r in rows(MNIST)}
        lean = {r["name"]: float(r["step_time_s"])
                for r in rows(MNIST, "--set", "training.framework=none")}
        self.assertTrue(all(lean[n] < eager[n] for n in eager))


class ChartWithoutMeasuredPoints(unittest.TestCase):
    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not on PATH")
    def test_cpu_vs_gpu_draws_with_no_measured_file(self):
        # No validate/train-xeon-gold-6140.csv exists: the chart has no measured point and must
        # still be drawn (it used to fail in gnuplot and leave no image).
        with open(MNIST) as f:
            text = f.read().replace("epyc-zen5-2vcpu", "xeon-gold-6140")
        self.assertFalse(os.path.exists(os.path.join(SRC, "validate", "train-xeon-gold-6140.csv")))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.yaml")
            with open(path, "w") as f:
                f.write(text)
            out_dir = os.path.join(d, "out")
            rc, out, err = mlsim("plot", "cpu-vs-gpu", path, "-o", out_dir, "--format", "png")
            self.assertEqual(rc, 0, err)
            with open(os.path.join(out_dir, "cpu-vs-gpu.png"), "rb") as f:
                png = f.read()
            self.assertTrue(png.startswith(b"\x89PNG") and png.endswith(b"IEND\xaeB`\x82"))


if __name__ == "__main__":
    raise SystemExit(clitest.main())
