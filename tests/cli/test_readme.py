"""Every mlsim command the README shows runs: the lines of its code blocks (in a `text` block,
those after a `$ ` prompt) and its inline code spans that begin with `mlsim` or `./build/mlsim`
are run (in a scratch folder that sees the source
tree's scenarios, hardware database and measurements) and must exit 0. A synopsis (a line with a
placeholder such as ID or [--kind K]) and a bare command name are not commands; a command that
needs hardware this machine lacks is skipped by name in NEEDS, with the reason."""
import os
import re
import shlex
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths(__file__)
TIMEOUT_S = 300

# Commands skipped, each with why. None of the README's mlsim commands needs a GPU or MPI today
# (the benchmark that does, validate/run_gpu_sweep.sh, is no mlsim command); what is listed here
# are the page's examples of a mistake, shown with the message they get.
NEEDS = {
    "mlsim plt all": "an example of a mistyped command",
    "mlsim plot cost": "an example of a mistyped chart",
    "mlsim hw show h100x": "an example of a mistyped device id",
}

# A placeholder: brackets, alternatives, <id>, an ellipsis, or a word in capitals (ID, CHART).
PLACEHOLDER = re.compile(r"[\[\]<>|]|\.\.\.|\b[A-Z][A-Z0-9_]+\b")
START = re.compile(r"^(?:\$ )?(?:\./build/)?mlsim(?=\s)")


def readme_commands():
    """(line number, command text) of every mlsim command in README.md."""
    found = []
    block = None  # the open code block's language, "" if none is given
    with open(os.path.join(SRC, "README.md")) as f:
        for no, line in enumerate(f, 1):
            if line.startswith("```"):
                block = line[3:].strip() if block is None else None
                continue
            texts = [line.strip()] if block is not None else re.findall(r"`([^`]+)`", line)
            for text in texts:
                # a text block is a terminal: its commands follow a prompt, the rest is output
                if block == "text" and not text.startswith("$ "):
                    continue
                if START.match(text):
                    found.append((no, re.sub(r"^\$ ", "", text)))
    return found


# Subcommands the prose names without arguments ("`mlsim hw`"): names, not commands.
NAMES = {"hw", "search", "plot", "calibrate", "run", "models", "fields", "help"}


def is_command(text):
    words = shlex.split(text)
    if len(words) < 2 or re.match(r"\d", words[1]):  # bare mlsim, or a version banner
        return False
    if len(words) == 2 and words[1] in NAMES:
        return False
    return not PLACEHOLDER.search(text)


class ReadmeCommands(unittest.TestCase):
    def test_the_readme_names_commands(self):
        cmds = [c for _, c in readme_commands() if is_command(c)]
        self.assertGreaterEqual(len(cmds), 10, cmds)
        # the extraction sees both kinds of place
        self.assertIn("mlsim plot roofline epyc-zen5-2vcpu", cmds)
        self.assertIn("mlsim hw compare t4 a100-pcie-40gb tpu-v4 antminer-s7", cmds)

    def test_the_mistakes_shown_fail_as_shown(self):
        # the page shows each skipped example with the message it gets: it must still get it
        with open(os.path.join(SRC, "README.md")) as f:
            page = f.read()
        for cmd in NEEDS:
            self.assertIn("$ " + cmd + "\n", page)
            p = subprocess.run([MLSIM, *shlex.split(cmd)[1:]], cwd=SRC, env=clitest.clean_env(),
                               capture_output=True, text=True, timeout=TIMEOUT_S)
            self.assertNotEqual(p.returncode, 0, cmd)
            said = page.split("$ " + cmd + "\n", 1)[1].split("\n", 1)[0]
            self.assertIn(said, p.stderr, cmd)

    def test_every_command_exits_0(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("scenarios", "hwdb", "models", "validate", "tests"):
                os.symlink(os.path.join(SRC, name), os.path.join(d, name))
            os.mkdir(os.path.join(d, "plots"))  # charts land here, not in the source tree
            for no, text in readme_commands():
                if not is_command(text) or text in NEEDS:
                    continue
                with self.subTest(line=no, command=text):
                    args = shlex.split(text)[1:]
                    p = subprocess.run([MLSIM, *args], cwd=d, env=clitest.clean_env(),
                                       capture_output=True, text=True, timeout=TIMEOUT_S)
                    self.assertEqual(p.returncode, 0, "README.md:%d: %s\n%s" % (no, text, p.stderr))


if __name__ == "__main__":
    raise SystemExit(clitest.main())
