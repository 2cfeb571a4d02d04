"""The command line as one thing: `mlsim --help` lists every subcommand, `mlsim help CMD` is CMD's
manual, and a mistyped subcommand, chart, option or device id gets a did-you-mean wherever it is
typed. Device ids are exact everywhere (hw, plot, calibrate and a scenario's hardware.device alike).
The subcommands are read from src/cli/cli.h's entry points, not from the table under test."""
import os
import re
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths(__file__)
TIMEOUT_S = 60


def mlsim(*args, cwd=SRC):
    p = subprocess.run([MLSIM, *args], cwd=cwd, env=clitest.clean_env(), capture_output=True,
                       text=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout, p.stderr


def entry_points():
    """`int mlsim_cli_NAME(int argc, char **argv);` in cli.h: one per subcommand."""
    with open(os.path.join(SRC, "src", "cli", "cli.h")) as f:
        return re.findall(r"int mlsim_cli_(\w+)\(int argc, char \*\*argv\);", f.read())


class Help(unittest.TestCase):
    def test_help_lists_every_subcommand(self):
        names = entry_points()
        self.assertIn("plot", names)
        rc, out, err = mlsim("--help")
        self.assertEqual(rc, 0, err)
        for name in names + ["help"]:
            self.assertRegex(out, r"\n    mlsim %s " % name, name)

    def test_help_command_is_the_commands_manual(self):
        for name in entry_points():
            with self.subTest(command=name):
                rc, out, err = mlsim("help", name)
                self.assertEqual(rc, 0, err)
                self.assertEqual((rc, out), mlsim(name, "--help")[:2])
                self.assertIn("mlsim " + name, out)

    def test_help_alone_is_the_manual(self):
        self.assertEqual(mlsim("help")[:2], mlsim("--help")[:2])
        self.assertEqual(mlsim("help", "help")[:2], mlsim("--help")[:2])


class DidYouMean(unittest.TestCase):
    def usage(self, want, *args, rc_want=2):
        rc, out, err = mlsim(*args)
        self.assertEqual((rc, out), (rc_want, ""), err)
        self.assertIn(want, err)

    def test_subcommand(self):
        self.usage("unknown command 'plt' (did you mean 'plot'?)", "plt", "all")
        self.usage("unknown command 'serch' (did you mean 'search'?)", "serch", "x.yaml")
        self.usage("mlsim help: unknown command 'plt' (did you mean 'plot'?)", "help", "plt")
        # a word that is no command and no file is said to be neither, not "cannot open"
        self.usage("unknown command 'frobnicate', and no scenario file of that name",
                   "frobnicate")

    def test_a_scenario_file_is_still_a_scenario(self):
        # a YAML name or a path is a scenario even when it is missing: exit 1, located
        rc, out, err = mlsim("plot.yaml")
        self.assertEqual(rc, 1)
        self.assertIn("plot.yaml: error: cannot open", err)

    def test_chart(self):
        self.usage("cost (did you mean 'cost-table'?)", "plot", "cost")
        self.usage("al (did you mean 'all'?)", "plot", "al")

    def test_options_of_every_command(self):
        self.usage("--formt (did you mean '--format'?)", "--formt", "csv",
                   "scenarios/gpt3_a100.yaml")
        self.usage("--formt (did you mean '--format'?)", "hw", "list", "--formt", "csv")
        self.usage("--formt (did you mean '--format'?)", "search", "scenarios/gpt3_a100.yaml",
                   "--formt", "csv")
        self.usage("--lst (did you mean '--list'?)", "plot", "--lst")
        self.usage("--devise (did you mean '--device'?)", "calibrate",
                   "validate/cpu-epyc-zen5-2vcpu.csv", "--devise", "epyc-zen5-2vcpu")

    def test_device_ids_everywhere(self):
        one = "(did you mean 'a100-pcie-40gb'?)"
        self.usage("unknown device 'a100-p' " + one, "hw", "show", "a100-p", rc_want=1)
        rc, out, err = mlsim("scenarios/gpt3_a100.yaml", "--set", "hardware.device=a100-p")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("unknown device 'a100-p'", err)
        self.assertIn("did you mean 'a100-pcie-40gb'?", err)
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = mlsim("plot", "roofline", "h100x", "-o", d, "--no-render")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("unknown device 'h100x' (did you mean one of h100-pcie-80gb, "
                      "h100-sxm5-80gb?)", err)
        self.usage("no device 'epyc-zen5' in", "calibrate", "validate/cpu-epyc-zen5-2vcpu.csv",
                   "--device", "epyc-zen5", rc_want=1)
        self.usage("(did you mean 'epyc-zen5-2vcpu'?)", "calibrate",
                   "validate/cpu-epyc-zen5-2vcpu.csv", "--device", "epyc-zen5", rc_want=1)

    def test_the_readme_example_that_failed(self):
        # 'v100' was unique until the 32GB file joined; both are named now
        rc, out, err = mlsim("hw", "compare", "k80", "p40", "t4", "v100")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("'v100' (did you mean one of v100-sxm2-16gb, v100-sxm2-32gb?)", err)
        rc, out, err = mlsim("hw", "compare", "k80", "p40", "t4", "v100-sxm2-16gb",
                             "--precision", "fp32", "--sort", "eta", "--format", "csv")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.splitlines()), 5)


if __name__ == "__main__":
    raise SystemExit(clitest.main())
