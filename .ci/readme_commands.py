"""Every command README.md shows, run as a new user runs them: from the repository root, in the
environment its first command makes (``pip install -e .``, no test extra), in README order.

    python3 .ci/readme_commands.py       # .ci/run calls it before the test command

The commands are read from README.md's ``bash`` and ``python`` blocks, not copied, so a command
added there runs here or is listed in :data:`NOT_RUN` with the reason; a test
(tests/test_documentation.py) holds README.md and this list together. What the commands write
(results/, report.html, explained/, Snakemake's .snakemake/) is removed afterwards, so that
the tests start from a clean checkout; the default run's tables are first copied to
$SECAM_DEFAULT_RUN_TABLES when it is set, for the test that ties docs/results/default/ to them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

# README commands this script leaves to others, each with why.
NOT_RUN = {
    # .ci/run runs it next, in the same environment
    'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest': (
        "the test command: .ci/run runs it after these"
    ),
    ".venv/bin/snakemake --cores 2 --configfile my.yaml --config results=results/run2": (
        "needs the reader's own my.yaml, and would repeat the whole default run; the merge it "
        "shows is tested (tests/test_documentation.py::test_a_user_config_is_merged_over_the_"
        "defaults)"
    ),
}
# Where to copy the default run's tables before they are removed, when set (.ci/run sets it).
KEEP_TABLES = "SECAM_DEFAULT_RUN_TABLES"
# What the commands write into the checkout.
WRITTEN = ("results", "report.html", "explained", ".snakemake")


def readme_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every ``bash`` and ``python`` block, in README order; a bash block
    gives one command per line, continuation lines joined."""
    blocks = []
    for language, code in re.findall(
        r"^```(bash|python)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL
    ):
        if language == "python":
            blocks.append((language, code))
            continue
        for line in code.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            command = re.sub(r"\s+", " ", command)
            if command:
                blocks.append((language, command))
    return blocks


def main() -> int:
    for language, code in readme_blocks(README.read_text()):
        if code in NOT_RUN:
            print(f"readme: not run here ({NOT_RUN[code]}): {code}", flush=True)
            continue
        shown = code if language == "bash" else "the Python example"
        print(f"readme: {shown}", flush=True)
        started = time.perf_counter()
        if language == "bash":
            result = subprocess.run(["bash", "-c", code], cwd=REPO, check=False)
        else:
            python = REPO / ".venv" / "bin" / "python"
            result = subprocess.run([str(python), "-c", code], cwd=REPO, check=False)
        if result.returncode != 0:
            print(f"readme: failed with status {result.returncode}: {shown}", file=sys.stderr)
            return 1
        print(f"readme: done in {time.perf_counter() - started:.0f} s", flush=True)
    kept = os.environ.get(KEEP_TABLES)
    if kept:  # the default run's tables, for tests/workflow/test_default_snapshot.py
        shutil.copytree(REPO / "results" / "tables", kept, dirs_exist_ok=True)
    for name in WRITTEN:
        path = REPO / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
