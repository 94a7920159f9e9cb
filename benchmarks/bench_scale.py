"""The workflow at 1 000, 5 000 and 50 000 images: what grows with the run, measured.

    python benchmarks/bench_scale.py 1000 5000 50000 [--workdir /tmp/secam-scale]
        [--layout folder|tar] [--shard-size 1000] [--cores 2] [--model tiny|efficientnet_lite0]

For each N it writes a synthetic validation set (benchmarks/make_synthetic_ilsvrc.py; reused when
it is there) and runs the README's command on it, ``snakemake --cores C --configfile ...``, with
every stage on: faithfulness, baselines, sanity, paper figures, the segmentation comparison, and
LIME on a seeded subset of N/1000 images, as the ILSVRC configurations run it. The model is the
tiny classifier of benchmarks/scale_classifier.py, loaded through the own-model path, and the
per-image work is kept light (4 faithfulness steps, a sanity depth of 1, Felzenszwalb as the
one compared algorithm), so that the workflow's own cost shows (50 000 images still took 2.9
hours of two cores, in sittings: ``--resume``); ``--model efficientnet_lite0`` ties it to a real
model.

Recorded for each run (JSON, one record per N: benchmarks/results/scale-<model>-<layout>-<N>.json):
- the run's wall time, and its main process's peak RSS (the DAG of every job lives there);
- per rule, from the ``benchmark:`` table of each job (results/benchmarks/): jobs, wall
  seconds, CPU seconds and the largest peak RSS;
- planning: a dry run of the whole DAG with every per-shard job to do (``--forcerun`` of the
  rules every other per-shard rule follows: the plan a run makes once staging has run);
- the resume: the same command again on the finished folder (nothing to do);
- the files and bytes under results/, and per shard.

It prints each rule's cost per image at every N against the smallest N (the goal: within 1.2x),
and each run's totals (docs/performance.md#scaling). Run it with nothing else on the machine.

    --staging-only   stage and plan every later job, nothing else (scale-staging-*.json)
    --resume         carry on a run of this benchmark that a previous sitting left unfinished
    --startup-only   measure the resume and the plan of finished runs again
    --print-only     print the recorded JSON
    --print-only --model efficientnet_lite0 --against tiny
                     each rule's cost per image with one model against the other (same N)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
sys.path.insert(0, str(REPO))  # for tests.workflow.workflow_runs

from make_synthetic_ilsvrc import IMAGES_FOLDER, TAR_NAME, write_set  # noqa: E402
from scale_classifier import INPUT_SIZE  # noqa: E402

from secam.layout import LOGS  # noqa: E402
from secam.methods import METHODS  # noqa: E402
from tests.workflow.workflow_runs import command, planned_jobs  # noqa: E402

# The rules that read every shard and write the tables, figures and report.
REPORT_RULES = (
    "collect",
    "summary",
    "examples",
    "quantitative",
    "paper_outputs",
    "segmentation_comparison",
    "sanity_report",
)
# LIME explains N / LIME_SHARE images (lime.max_images): 50 of the 50 000.
LIME_SHARE = 1000


def scale_config(data: Path, n_images: int, model: str, layout: str, shard_size: int) -> dict:
    """The benchmark's configuration for the set in ``data``: every stage on."""
    synsets = str(data / "LOC_synset_mapping.txt")
    images = data / TAR_NAME if layout == "tar" else data / IMAGES_FOLDER
    config: dict = {
        "results": "results",
        "dataset": {
            "annotations": str(data / "LOC_val_solution.csv"),
            "images": str(images),
            "synsets": synsets,
            "shard_size": shard_size,
        },
        "models": [model],
        "device": "cpu",
        "target": "predicted",
        "methods": ["secam", "cam", "gradcam", "lime"],
        "segmentation": {
            "algorithm": "slic",
            "compare": ["felzenszwalb"],
            "compare_methods": ["secam", "lime"],
            "compare_lime_images": 1,
        },
        "selection": {"top_k": [2, 3, 4], "thresholds": [0.8, 0.7, 0.6]},
        "lime": {"num_samples": 1000, "seed": 0, "max_images": max(1, n_images // LIME_SHARE)},
        "faithfulness": {"steps": 4},
        "sanity": {"depth": 1, "lime_images": 1},
        "timing": {"warmup": 1},
        "report": {"example_images": 6},
    }
    if model == "tiny":
        config["model_options"] = {
            "tiny": {
                "factory": "scale_classifier:tiny_imagenet_classifier",
                "classes": synsets,
                "input_size": list(INPUT_SIZE),
            }
        }
    return config


class PeakMemory:
    """The peak resident memory of one process, sampled every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


class Interrupted(Exception):
    """A sitting stopped by Ctrl-C or ``kill`` (SIGINT, SIGTERM): its seconds and peak so far,
    in ``sitting``."""

    def __init__(self, sitting: dict) -> None:
        super().__init__(f"interrupted after {sitting['seconds']:.0f} s")
        self.sitting = sitting


def snakemake(run: Path, *args: str, log: Path) -> dict:
    """One snakemake command in ``run``: wall seconds, the main process's peak RSS, its output.

    Ctrl-C or ``kill`` (SIGINT or SIGTERM to this process) ends the sitting: Snakemake is asked
    to stop its jobs (one SIGINT; the workflow's resume reruns them) and :class:`Interrupted`
    carries the sitting's time so far. Snakemake runs in a session of its own, so the
    terminal's Ctrl-C reaches it only through this process, once."""
    prefix = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(BENCHMARKS), os.environ.get("PYTHONPATH", "")]),
    }
    started = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(
            [*prefix, *command(run, *args)],
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
        memory = PeakMemory(process.pid)
        try:
            returncode = process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            process.wait()
            sitting = {
                "seconds": round(time.perf_counter() - started, 2),
                "main_peak_rss_mib": round(memory.stop() / 2**20, 1),
            }
            raise Interrupted(sitting) from None
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed ({returncode}); see {log}")
    return {
        "seconds": round(seconds, 2),
        "main_peak_rss_mib": round(peak / 2**20, 1),
        "output": log.read_text(),
    }


def benchmark_rule(relative: str) -> str:
    """The rule whose ``benchmark:`` file ``relative`` (under results/benchmarks/) is: the log
    name of secam.layout.LOGS, with explain split into explain_maps and explain_lime."""
    for name, template in LOGS.items():
        pattern = re.escape(template.removesuffix(".log") + ".tsv")
        pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", pattern)
        match = re.fullmatch(pattern, relative)
        if match:
            method = match.groupdict().get("method")
            if name == "explain" and method is not None:
                return "explain_lime" if METHODS[method].kind == "lime" else "explain_maps"
            return name
    raise ValueError(f"benchmarks/{relative} is no rule's benchmark file")


def rule_costs(results: Path) -> pd.DataFrame:
    """Per rule: jobs, wall and CPU seconds summed over its jobs, the largest peak RSS."""
    rows = []
    folder = results / "benchmarks"
    for path in sorted(folder.rglob("*.tsv")):
        table = pd.read_csv(path, sep="\t")
        rows.append(
            {
                "rule": benchmark_rule(path.relative_to(folder).as_posix()),
                "seconds": float(table["s"].iloc[-1]),
                "cpu_seconds": float(table["cpu_time"].iloc[-1]),
                "max_rss_mib": float(pd.to_numeric(table["max_rss"], errors="coerce").iloc[-1]),
            }
        )
    frame = pd.DataFrame(rows)
    return (
        frame.groupby("rule")
        .agg(
            jobs=("seconds", "size"),
            seconds=("seconds", "sum"),
            cpu_seconds=("cpu_seconds", "sum"),
            max_rss_mib=("max_rss_mib", "max"),
        )
        .reset_index()
    )


def disk_use(results: Path) -> dict:
    files = [path for path in results.rglob("*") if path.is_file()]
    return {"files": len(files), "bytes": sum(path.stat().st_size for path in files)}


# Every per-shard job follows one of these: forcing them plans the whole run but staging.
FIRST_PER_SHARD_RULES = ("segment", "segment_compared", "activate")


def plan_every_job(run: Path) -> dict:
    """A dry run of ``run`` with every job after staging to do."""
    forced = ("--forcerun", *FIRST_PER_SHARD_RULES)
    return snakemake(run, "--dry-run", *forced, log=run / "bench-logs" / "plan.log")


def startup_costs(run: Path, cores: int) -> dict:
    """What a run costs before its first job: the same command again on the finished folder
    (lock, scan, plan; nothing to do), and the plan of every job after staging."""
    resume = snakemake(run, "--cores", str(cores), log=run / "bench-logs" / "resume.log")
    plan = plan_every_job(run)
    return {
        "resume_seconds": resume["seconds"],
        "plan_seconds": plan["seconds"],
        "plan_main_peak_rss_mib": plan["main_peak_rss_mib"],
        "planned_jobs": dict(Counter(job.rule for job in planned_jobs(plan["output"]))),
    }


def run_folder(workdir: Path, model: str, layout: str, n_images: int) -> Path:
    """Where the benchmark runs the workflow on ``n_images`` (its results/ inside)."""
    return workdir / f"run-{model}-{layout}-{n_images}"


def synthetic_set(n_images: int, workdir: Path, layout: str) -> tuple[Path, dict | None]:
    """The synthetic set of ``n_images`` under ``workdir``, written unless it is there; with
    what writing it took (None when it was there)."""
    data = workdir / f"set-{n_images}"
    complete = (data / "LOC_val_solution.csv").exists()
    if complete and (layout == "folder" or (data / TAR_NAME).exists()):
        return data, None
    return data, write_set(n_images, data, tar=layout == "tar")


def provenance() -> dict:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    memory_gib = psutil.virtual_memory().total / 2**30
    return {
        "commit": commit.stdout.strip(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {memory_gib:.0f} GiB",
        "python": platform.python_version(),
    }


def measure_staging(
    n_images: int, workdir: Path, model: str, layout: str, shard_size: int, cores: int
) -> dict:
    """Staging alone, then the plan of every later job: what a run of ``n_images`` does before
    its first per-shard job, measured without running the rest."""
    data, generated = synthetic_set(n_images, workdir, layout)
    run = workdir / f"stage-{model}-{layout}-{n_images}"
    if (run / "results").exists():
        raise SystemExit(f"{run}/results exists: remove it to measure afresh")
    (run / "bench-logs").mkdir(parents=True, exist_ok=True)
    config = scale_config(data, n_images, model, layout, shard_size)
    (run / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    print(f"N={n_images}: staging from the {layout} in {run} ...", flush=True)
    target = "results/manifest.parquet"
    staged = snakemake(run, "--cores", str(cores), target, log=run / "bench-logs" / "stage.log")
    plan = plan_every_job(run)
    manifest = pd.read_parquet(run / "results" / "manifest.parquet")
    stage_job = rule_costs(run / "results").set_index("rule").loc["stage"]
    return {
        "benchmark": "scale-staging",
        "n_images": n_images,
        "model": model,
        "layout": layout,
        "shard_size": shard_size,
        "shards": int(manifest["shard"].nunique()),
        "staged_images": len(manifest),
        "generated": generated,
        "stage_command_seconds": staged["seconds"],
        "stage_job_seconds": float(stage_job["seconds"]),
        "stage_job_max_rss_mib": float(stage_job["max_rss_mib"]),
        "plan_seconds": plan["seconds"],
        "plan_main_peak_rss_mib": plan["main_peak_rss_mib"],
        "planned_jobs": dict(Counter(job.rule for job in planned_jobs(plan["output"]))),
        **provenance(),
    }


def measure(
    n_images: int, workdir: Path, model: str, layout: str, shard_size: int, cores: int, resume: bool
) -> dict:
    data, generated = synthetic_set(n_images, workdir, layout)
    run = run_folder(workdir, model, layout, n_images)
    logs = run / "bench-logs"
    sittings_file = logs / "sittings.json"
    if (run / "results").exists() and not (resume and sittings_file.exists()):
        raise SystemExit(
            f"{run}/results exists: remove it to measure afresh, or pass --resume to carry on "
            "a run this benchmark started"
        )
    logs.mkdir(parents=True, exist_ok=True)
    config = scale_config(data, n_images, model, layout, shard_size)
    (run / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    # A run that does not fit one sitting is carried on by the workflow's own resume (the
    # same command again); each sitting's time is kept, and the run's is their sum.
    sittings = json.loads(sittings_file.read_text()) if sittings_file.exists() else []
    print(
        f"N={n_images}: running the workflow in {run} (sitting {len(sittings) + 1}) ...", flush=True
    )
    try:
        sitting = snakemake(run, "--cores", str(cores), log=logs / f"run-{len(sittings) + 1}.log")
    except Interrupted as stop:
        sittings.append({**stop.sitting, "ended": "interrupted"})
        sittings_file.write_text(json.dumps(sittings, indent=2) + "\n")
        raise SystemExit(
            f"N={n_images}: sitting {len(sittings)} interrupted after "
            f"{stop.sitting['seconds'] / 60:.1f} min; carry the run on with --resume"
        ) from None
    sittings.append({key: sitting[key] for key in ("seconds", "main_peak_rss_mib")})
    sittings_file.write_text(json.dumps(sittings, indent=2) + "\n")
    startup = startup_costs(run, cores)
    results = run / "results"
    manifest = pd.read_parquet(results / "manifest.parquet")
    metrics = pd.read_parquet(results / "metrics.parquet", columns=["image_id"])
    costs = rule_costs(results)
    shards = int(manifest["shard"].nunique())
    disk = disk_use(results)
    return {
        "benchmark": "scale",
        "n_images": n_images,
        "model": model,
        "layout": layout,
        "shard_size": shard_size,
        "shards": shards,
        "cores": cores,
        "lime_images": config["lime"]["max_images"],
        "staged_images": len(manifest),
        "images_in_metrics": int(metrics["image_id"].nunique()),
        "metric_rows": len(metrics),
        "generated": generated,
        "sittings": sittings,
        "run_seconds": round(sum(s["seconds"] for s in sittings), 2),
        "run_main_peak_rss_mib": max(s["main_peak_rss_mib"] for s in sittings),
        **startup,
        "rules": costs.to_dict(orient="records"),
        "results_files": disk["files"],
        "results_bytes": disk["bytes"],
        "bytes_per_image": round(disk["bytes"] / n_images, 1),
        "files_per_shard": round(disk["files"] / shards, 1),
        **provenance(),
    }


def record_path(kind: str, model: str, layout: str, n_images: int) -> Path:
    """Where the record of one run lives (benchmarks/results/)."""
    return BENCHMARKS / "results" / f"{kind}-{model}-{layout}-{n_images}.json"


def per_image(record: dict, rule: str, total: float) -> float:
    """A rule's ``total`` (seconds, milliseconds) per image it worked on: LIME's per image LIME
    explained."""
    return total / (record["lime_images"] if rule == "explain_lime" else record["n_images"])


def report(records: list[dict]) -> None:
    """Each rule's seconds per image (per LIME image for LIME) and peak RSS at every N, the ratio
    of the largest N's cost to the smallest's, and each run's totals."""
    ordered = sorted(records, key=lambda r: r["n_images"])
    sizes = [r["n_images"] for r in ordered]
    per_rule = [{row["rule"]: row for row in r["rules"]} for r in ordered]
    print()
    print(
        "| rule | "
        + " | ".join(f"s/image at {n}" for n in sizes)
        + f" | ratio {sizes[-1]} / {sizes[0]} | "
        + " | ".join(f"peak MiB at {n}" for n in sizes)
        + " |"
    )
    print("|---|" + "---:|" * (2 * len(sizes) + 1))
    for rule in sorted(per_rule[0]):
        seconds, peaks = [], []
        for record, rows in zip(ordered, per_rule, strict=True):
            row = rows.get(rule, {"seconds": float("nan"), "max_rss_mib": float("nan")})
            seconds.append(per_image(record, rule, row["seconds"]))
            peaks.append(row["max_rss_mib"])
        print(
            f"| {rule} | "
            + " | ".join(f"{v:.4f}" for v in seconds)
            + f" | {seconds[-1] / seconds[0]:.2f} | "
            + " | ".join(f"{v:.0f}" for v in peaks)
            + " |"
        )
    for r in ordered:
        report_part = sum(row["seconds"] for row in r["rules"] if row["rule"] in REPORT_RULES)
        peak = max(row["max_rss_mib"] for row in r["rules"])
        jobs = sum(r["planned_jobs"].values())
        print(
            f"\nN={r['n_images']}: run {r['run_seconds'] / 60:.1f} min "
            f"({len(r['sittings'])} sitting(s)), resume {r['resume_seconds']:.1f} s, "
            f"plan {r['plan_seconds']:.1f} s ({jobs} jobs); tables and report {report_part:.0f} s; "
            f"largest job {peak:.0f} MiB, main process {r['run_main_peak_rss_mib']:.0f} MiB; "
            f"{r['images_in_metrics']}/{r['staged_images']} staged images in metrics.parquet; "
            f"{r['bytes_per_image'] / 1024:.1f} KiB per image, "
            f"{r['files_per_shard']:.0f} files per shard"
        )


def compare_models(records: list[dict], baselines: list[dict]) -> None:
    """Each rule's seconds per image with ``records``' model against ``baselines``' (the same N):
    what the real model adds to what the workflow itself costs."""
    by_size = {r["n_images"]: r for r in baselines}
    for record in sorted(records, key=lambda r: r["n_images"]):
        baseline = by_size[record["n_images"]]
        model, other = record["model"], baseline["model"]
        rows = {row["rule"]: row for row in record["rules"]}
        other_rows = {row["rule"]: row for row in baseline["rules"]}
        print(f"\nN={record['n_images']}: {model} against {other}")
        print(
            f"| rule | ms/image {other} | ms/image {model} | ratio | "
            f"peak MiB {other} | peak MiB {model} |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for rule in sorted(rows):
            mine = rows[rule]
            theirs = other_rows.get(rule, {"seconds": float("nan"), "max_rss_mib": float("nan")})
            ms = per_image(record, rule, 1000 * mine["seconds"])
            other_ms = per_image(baseline, rule, 1000 * theirs["seconds"])
            other_peak = theirs["max_rss_mib"]
            print(
                f"| {rule} | {other_ms:.1f} | {ms:.1f} | {ms / other_ms:.1f} | "
                f"{other_peak:.0f} | {mine['max_rss_mib']:.0f} |"
            )
        for name, r in ((other, baseline), (model, record)):
            per_shard = sum(row["seconds"] for row in r["rules"] if row["rule"] not in REPORT_RULES)
            print(
                f"{name}: run {r['run_seconds'] / 60:.1f} min, per-shard rules "
                f"{1000 * per_shard / r['n_images']:.0f} ms/image of job time"
            )


def stop_on_signal(number: int, frame: object) -> None:
    """SIGINT and SIGTERM both end a sitting the way Ctrl-C does. Set explicitly because a
    process started in the background by a non-interactive shell inherits SIGINT ignored."""
    raise KeyboardInterrupt


def main() -> None:
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stop_on_signal)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "counts", type=int, nargs="+", help="validation set sizes, e.g. 1000 5000 50000"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/secam-scale"))
    parser.add_argument("--layout", choices=["folder", "tar"], default="folder")
    parser.add_argument("--shard-size", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--model", default="tiny", help="tiny (benchmarks/scale_classifier.py) or a registry model"
    )
    parser.add_argument(
        "--resume", action="store_true", help="carry on a run this benchmark started"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--staging-only",
        action="store_true",
        help="stage and plan only: what a run does before its first per-shard job",
    )
    mode.add_argument(
        "--print-only", action="store_true", help="print the recorded JSON, run nothing"
    )
    mode.add_argument(
        "--startup-only",
        action="store_true",
        help="measure the resume and the plan of these finished runs again",
    )
    parser.add_argument(
        "--against",
        metavar="MODEL",
        help="then each rule's cost per image against MODEL's recorded run at the same N",
    )
    args = parser.parse_args()
    records = []
    for n_images in sorted(args.counts):
        kind = "scale-staging" if args.staging_only else "scale"
        path = record_path(kind, args.model, args.layout, n_images)
        if args.print_only or args.startup_only:
            record = json.loads(path.read_text())
            if args.startup_only:
                run = run_folder(args.workdir, args.model, args.layout, n_images)
                record.update(startup_costs(run, args.cores), startup_measured=provenance())
                path.write_text(json.dumps(record, indent=2) + "\n")
            records.append(record)
            continue
        common = (n_images, args.workdir, args.model, args.layout, args.shard_size, args.cores)
        if args.staging_only:
            record = measure_staging(*common)
        else:
            record = measure(*common, args.resume)
        path.write_text(json.dumps(record, indent=2) + "\n")
        print(f"-> {path.relative_to(REPO)}", flush=True)
        records.append(record)
    if args.staging_only:
        for r in records:
            print(
                f"N={r['n_images']} ({r['layout']}): staging {r['stage_job_seconds']:.1f} s "
                f"({r['stage_job_seconds'] / r['n_images'] * 1000:.2f} ms/image, "
                f"{r['stage_job_max_rss_mib']:.0f} MiB), plan {r['plan_seconds']:.1f} s "
                f"({sum(r['planned_jobs'].values())} jobs, {r['plan_main_peak_rss_mib']:.0f} MiB)"
            )
    elif args.against:
        baselines = [
            json.loads(record_path("scale", args.against, args.layout, n).read_text())
            for n in sorted(args.counts)
        ]
        compare_models(records, baselines)
    else:
        report(records)


if __name__ == "__main__":
    main()
