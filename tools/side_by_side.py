#!/usr/bin/python3
"""libvaednn against its PyTorch twin, side by side on this machine, and the table in
docs/PERFORMANCE.md.

For every configuration (threads 1 and 2; batch 64, 128, 256; training step and inference) it
runs bench_vae's benchmark and the twin's (tools/vae_twin.py bench) one after the other, for
several rounds, so that drifts of the machine hit both; each figure is the median over rounds,
with ours as a share of the FP32 FMA peak bench_vae measures in the same run. It also measures,
at 2 threads and batch 128, every per-layer benchmark (their sum is the step's "primitives alone"
time), and then the time a user waits: one whole epoch of full MNIST with its test evaluation,
vae_train against the twin's train command, each a whole process under GNU time (wall clock,
maximum resident set, test -ELBO).

  /usr/bin/python3 tools/side_by_side.py [--rounds 3] [--update-docs]

docs/PERFORMANCE.md keeps one generated section per CPU (vendor, family, model and the ISA
oneDNN dispatches): --update-docs replaces this CPU's section and leaves the others alone.

The twin gets its fairest BLAS: before the rounds, each OpenBLAS core type (the variable unset,
then the AVX-512 and AVX2 kernels by name) trains the same fixed batch; those that crash or give
another loss are dropped, the fastest of the rest is used for every twin run, and the table says
which. The peak the roofline compares with is bench_vae's own measurement in the same run.

Run it alone on the machine: a second CPU-heavy process makes OpenMP programs many times slower.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOCS = os.path.join(ROOT, "docs", "PERFORMANCE.md")


def markers(key):
    return f"<!-- side_by_side:begin {key} -->", f"<!-- side_by_side:end {key} -->"


def cpu_key(context):
    """'AuthenticAMD family 25 model 1, avx2': what makes two machines' tables comparable."""
    cpu = context.get("cpu", platform.processor()).split(" (")[0]
    return f"{cpu}, {context.get('onednn_isa', '?')}"


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"side_by_side: {' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result


def bench_vae(args, threads, pattern, min_time):
    """{benchmark name: (real time in seconds, label, GFLOP/s, share of the FP32 FMA peak)} for
    the benchmarks matching `pattern`; FLOP counts and peak are bench_vae's own, in this run."""
    out = run([args.bench, f"--threads={threads}", f"--benchmark_filter={pattern}",
               f"--benchmark_min_time={min_time}", "--benchmark_format=json"]).stdout
    report = json.loads(out)
    results = {}
    for b in report["benchmarks"]:
        if b.get("error_occurred"):
            continue
        assert b["time_unit"] == "ms", b["time_unit"]
        results[b["name"]] = (b["real_time"] * 1e-3, b.get("label", ""), b["FLOP"] * 1e-9,
                              b.get("peak_share", float("nan")))
    return results, report["context"]


# OpenBLAS core types worth trying on x86-64, fastest first where the CPU has them; None is the
# variable unset (OpenBLAS's own choice).
CORETYPES = [None, "Cooperlake", "SkylakeX", "Zen", "Haswell"]
TWIN_ENV = dict(os.environ)


def twin_env(coretype):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype is not None:
        env["OPENBLAS_CORETYPE"] = coretype
    return env


def twin(threads, batch, mode, steps, env=None):
    out = run(["/usr/bin/python3", os.path.join(HERE, "vae_twin.py"), "bench",
               "--threads", str(threads), "--batch-size", str(batch), "--mode", mode,
               "--steps", str(steps), "--json"], env=env or TWIN_ENV).stdout
    return json.loads(out.strip().splitlines()[-1])


def choose_coretype():
    """The fastest OpenBLAS core type that computes the twin's loss as the unset variable does
    (to 1e-4 relative), at 2 threads and batch 128; one line per candidate on stderr."""
    timings = {}
    reference = None
    for coretype in CORETYPES:
        result = subprocess.run(
            ["/usr/bin/python3", os.path.join(HERE, "vae_twin.py"), "bench", "--threads", "2",
             "--batch-size", "128", "--mode", "train", "--steps", "10", "--json"],
            capture_output=True, text=True, env=twin_env(coretype))
        name = coretype or "unset"
        if result.returncode != 0:
            print(f"OpenBLAS core type {name}: fails here ({result.returncode})", file=sys.stderr)
            continue
        t = json.loads(result.stdout.strip().splitlines()[-1])
        if reference is None:
            reference = t["loss"]
        agrees = abs(t["loss"] - reference) <= 1e-4 * abs(reference)
        print(f"OpenBLAS core type {name}: {t['median_seconds'] * 1e3:.1f} ms per step, loss "
              f"{t['loss']:.6f}{'' if agrees else ' (differs: dropped)'}", file=sys.stderr)
        if agrees:
            timings[coretype] = t["median_seconds"]
    best = min(timings, key=timings.get)
    print(f"the twin runs with OpenBLAS core type {best or 'unset'}", file=sys.stderr)
    return best


EPOCH_LINE = re.compile(r"====> Epoch: (\d+) .*test loss ([0-9.]+) .*images/s (\d+)")


def whole_process(cmd, env=None):
    """One process under GNU time: its wall-clock seconds, peak resident MiB, and the last epoch
    line's test -ELBO and training images/s (vae_train and the twin print the same line)."""
    result = run(["/usr/bin/time", "-v"] + cmd, env=env)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    epochs = EPOCH_LINE.findall(result.stdout)
    if not (wall and rss and epochs):
        sys.exit(f"side_by_side: no time, memory or epoch line from {' '.join(cmd)}:\n"
                 f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return {"seconds": seconds, "rss_mib": int(rss.group(1)) / 1024.0,
            "test_loss": float(epochs[-1][1]), "images_per_second": int(epochs[-1][2])}


def whole_epochs(args):
    """The time a user waits: one epoch of full MNIST at batch 128 and 2 threads, test
    evaluation included, each program a whole process; alternated over --epoch-rounds."""
    runs = {"ours": [], "pytorch": []}
    for r in range(args.epoch_rounds):
        with tempfile.TemporaryDirectory() as out:
            runs["ours"].append(whole_process(
                [args.vae_train, "--data", args.data, "--threads", "2", "--epochs", "1",
                 "--batch-size", "128", "--quiet", "--out", out]))
        runs["pytorch"].append(whole_process(
            ["/usr/bin/python3", os.path.join(HERE, "vae_twin.py"), "train", "--data", args.data,
             "--threads", "2", "--epochs", "1", "--batch-size", "128"], env=TWIN_ENV))
        print(f"epoch round {r + 1}: ours {runs['ours'][-1]['seconds']:.1f} s, pytorch "
              f"{runs['pytorch'][-1]['seconds']:.1f} s", file=sys.stderr)
    return runs


def measure(args):
    configs = [(t, b, m) for m in ("train", "inference") for t in args.threads for b in args.batches]
    ours = {c: [] for c in configs}
    shares = {c: [] for c in configs}
    step_flop = []  # FLOP per training step at 2 threads, batch 128, as bench_vae counts them
    peaks = []
    theirs = {c: [] for c in configs}
    layers = {}
    algorithms = {}
    context = {}
    torch_info = {}
    for r in range(args.rounds):
        for (threads, batch, mode) in configs:
            name = ("train_step" if mode == "train" else "inference") + f"/batch:{batch}/"
            results, run_context = bench_vae(args, threads, "^" + name, args.min_time)
            seconds, _, gflops, share = next(iter(results.values()))
            ours[(threads, batch, mode)].append(seconds)
            shares[(threads, batch, mode)].append(share)
            if (threads, batch, mode) == (2, 128, "train"):
                step_flop.append(gflops * 1e9 * seconds)
            if threads == 2:
                context = run_context
                peaks.append(float(run_context.get("fp32_fma_peak_gflops", "nan")))
            # Big batches on one thread take long: fewer steps keep each run near 2-4 s.
            steps = max(5, min(20, int(2.0 / (0.0015 * batch / threads))))
            t = twin(threads, batch, mode, steps)
            torch_info = t
            theirs[(threads, batch, mode)].append(t["median_seconds"])
            print(f"round {r + 1}: threads {threads} batch {batch} {mode}: ours "
                  f"{ours[(threads, batch, mode)][-1] * 1e3:.1f} ms, pytorch "
                  f"{t['median_seconds'] * 1e3:.1f} ms", file=sys.stderr)
        # Per-layer benchmarks at 2 threads, batch 128: the primitives alone.
        results, _ = bench_vae(args, 2, r"^(lstm|dense|deconv[0-9]|loss|adam).*/batch:128/",
                               args.min_time / 2)
        for name, result in results.items():
            layers.setdefault(name, []).append(result)
        results, _ = bench_vae(args, 2, r"^deconv_forward_algorithms/.*/batch:128/",
                               args.min_time / 2)
        for name, result in results.items():
            algorithms.setdefault(name, []).append(result[0])
    epochs = whole_epochs(args) if args.epoch_rounds > 0 else None
    flop = median(step_flop) if step_flop else None
    peak = args.peak_gflops or (median(peaks) if peaks else float("nan"))
    return (configs, ours, shares, theirs, flop, peak, layers, algorithms, context, torch_info,
            epochs)


def median(values):
    return statistics.median(values)


def render(args, configs, ours, shares, theirs, step_flop, peak, layers, algorithms, context,
           torch_info, epochs):
    today = datetime.date.today().isoformat()
    cpu = context.get("cpu", platform.processor())
    begin, end = markers(cpu_key(context))
    lines = [
        begin,
        f"### {cpu}, oneDNN {context.get('onednn_isa', '?')}",
        "",
        f"Generated by `/usr/bin/python3 tools/side_by_side.py --rounds {args.rounds} "
        f"--update-docs` on {today}; {context.get('num_cpus', '?')} cores, "
        f"oneDNN {context.get('onednn_version', '?')} ({context.get('onednn_isa', '?')}), "
        f"PyTorch {torch_info.get('torch', '?')} with OpenBLAS "
        f"({os.path.basename(torch_info.get('blas', '?'))}, OPENBLAS_CORETYPE "
        f"{args.coretype or 'unset'}, the fastest that computes the same loss here). "
        f"FP32 FMA peak of 2 threads, measured by bench_vae in this run: {peak:.0f} GFLOP/s "
        "(median over rounds; each run's share is against its own peak measurement). "
        f"Medians over {args.rounds} alternating rounds; each round's figure is bench_vae's mean "
        f"step time (`--benchmark_min_time={args.min_time}`) and the twin's median step time.",
        "",
        "| mode | threads | batch | libvaednn ms | images/s | share of peak | PyTorch ms | "
        "images/s | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (threads, batch, mode) in configs:
        a, b = median(ours[(threads, batch, mode)]), median(theirs[(threads, batch, mode)])
        share = median(shares[(threads, batch, mode)])
        lines.append(f"| {mode} | {threads} | {batch} | {a * 1e3:.1f} | {batch / a:,.0f} | "
                     f"{100 * share:.0f}% | {b * 1e3:.1f} | {batch / b:,.0f} | **{b / a:.2f}x** |")

    step = median(ours[(2, 128, "train")]) if (2, 128, "train") in ours else None
    one = median(ours[(1, 128, "train")]) if (1, 128, "train") in ours else None
    lines += ["", "Per-layer benchmarks (`bench_vae --threads=2 "
              "--benchmark_filter='^(lstm|dense|deconv[0-9]|loss|adam).*/batch:128/'`), batch 128, "
              "2 threads, median over rounds:", "",
              "| benchmark | ms | GFLOP/s | share of peak | implementation |",
              "|---|---:|---:|---:|---|"]
    primitives = 0.0
    for name in sorted(layers, key=lambda n: -median([r[0] for r in layers[n]])):
        seconds = median([r[0] for r in layers[name]])
        short = name.split("/")[0]
        elementwise = short in ("loss", "adam")  # counted as operations, not multiply-adds
        # The training graph's own nodes; the "_onednn" rows are the alternative LSTM kernel.
        if not elementwise and not short.endswith("_onednn"):
            primitives += seconds
        gflops = "-" if elementwise else f"{median([r[2] for r in layers[name]]):.0f}"
        share = "-" if elementwise else f"{100 * median([r[3] for r in layers[name]]):.0f}%"
        lines.append(f"| {short} | {seconds * 1e3:.2f} | {gflops} | {share} | "
                     f"{layers[name][0][1]} |")
    lines += ["", "Each deconvolution's forward algorithms as a layer alone (`bench_vae --threads=2 "
              "--benchmark_filter='^deconv_forward_algorithms/.*/batch:128/'`; input in oneDNN's "
              "blocked layout, "
              "everything after the input counted: weight gather, convolutions, interleave, "
              "ReLU); the library uses the fastest (`choose_deconv_forward`):", "",
              "| layer | direct_any ms | direct_plain ms | subpixel ms |", "|---|---:|---:|---:|"]
    for layer in ("deconv1", "deconv2", "deconv3"):
        cells = []
        for algorithm in ("direct_any", "direct_plain", "subpixel"):
            key = f"deconv_forward_algorithms/{layer}:{algorithm}/batch:128/real_time"
            cells.append(f"{median(algorithms[key]) * 1e3:.2f}" if key in algorithms else "-")
        lines.append(f"| {layer} | " + " | ".join(cells) + " |")
    if step is not None and primitives > 0:
        lines += ["",
                  f"- Primitives alone (sum of the layer rows but loss, Adam and the oneDNN LSTM "
                  f"kernel's): {primitives * 1e3:.1f} ms = {128 / primitives:,.0f} images/s. The "
                  f"whole step: {step * 1e3:.1f} ms = {128 / step:,.0f} images/s, "
                  f"**{100 * primitives / step:.1f}%** of the primitives-alone throughput; glue "
                  f"(reorders, noise, sub-pixel gather and interleave, loss, Adam) "
                  f"{(step - primitives) * 1e3:.1f} ms."]
        achieved = step_flop / step * 1e-9
        lines.append(f"- Roofline: the step does {step_flop / 128 * 1e-6:.1f} MFLOP per image, "
                     f"{achieved:.0f} GFLOP/s = **{100 * achieved / peak:.0f}%** of "
                     f"the {peak:.0f} GFLOP/s FP32 FMA peak of the 2 cores; the "
                     f"primitives alone reach {step_flop / primitives * 1e-9:.0f} GFLOP/s.")
    if step is not None and one is not None:
        lines.append(f"- 1 -> 2 threads at batch 128 (training): {one * 1e3:.1f} -> "
                     f"{step * 1e3:.1f} ms, **{one / step:.2f}x**.")
    if epochs:
        o = {k: median([r[k] for r in epochs["ours"]]) for k in epochs["ours"][0]}
        t = {k: median([r[k] for r in epochs["pytorch"]]) for k in epochs["pytorch"][0]}
        data = os.path.relpath(args.data, ROOT)
        lines += [
            "",
            f"One epoch of full MNIST as a user runs it, the whole process under `/usr/bin/time -v` "
            f"(start-up, data loading, 469 training steps at batch 128, the test set's -ELBO, and "
            f"for vae_train its checkpoint and pictures), 2 threads, median of "
            f"{args.epoch_rounds} alternating run(s): `vae_train --data {data} --threads 2 "
            f"--epochs 1 --batch-size 128 --quiet --out DIR` against `vae_twin.py train --data "
            f"{data} --threads 2 --epochs 1 --batch-size 128` (the same core type):",
            "",
            "| process | wall clock | training images/s | test -ELBO after epoch 1 | peak RSS |",
            "|---|---:|---:|---:|---:|",
            f"| vae_train | {o['seconds']:.1f} s | {o['images_per_second']:,.0f} | "
            f"{o['test_loss']:.2f} | {o['rss_mib']:.0f} MiB |",
            f"| PyTorch twin | {t['seconds']:.1f} s | {t['images_per_second']:,.0f} | "
            f"{t['test_loss']:.2f} | {t['rss_mib']:.0f} MiB |",
            "",
            f"- The user waits **{t['seconds'] / o['seconds']:.2f}x** less for vae_train's epoch, "
            f"in {o['rss_mib'] / t['rss_mib']:.2f} of the twin's memory.",
        ]
    lines.append(end)
    return "\n".join(lines)


def update_docs(table, key):
    """Replace this CPU's generated section of PERFORMANCE.md, or add it after the others."""
    begin, end = markers(key)
    text = open(DOCS).read()
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + table + rest.split(end, 1)[1]
    else:
        last_end = text.rfind("<!-- side_by_side:end")
        if last_end < 0:
            sys.exit(f"side_by_side: {DOCS} has no generated section to add this CPU's after")
        cut = text.index("-->", last_end) + len("-->")
        text = text[:cut] + "\n\n" + table + text[cut:]
    with open(DOCS + ".tmp", "w") as f:
        f.write(text)
    os.replace(DOCS + ".tmp", DOCS)
    print(f"updated {DOCS} ({key})", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "release", "bench",
                                                        "bench_vae"))
    parser.add_argument("--vae-train", default=os.path.join(ROOT, "build", "release", "apps",
                                                            "vae_train"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 2])
    parser.add_argument("--batches", type=lambda s: [int(x) for x in s.split(",")],
                        default=[64, 128, 256])
    parser.add_argument("--min-time", type=float, default=1.0,
                        help="bench_vae's --benchmark_min_time per run")
    parser.add_argument("--peak-gflops", type=float, default=None,
                        help="override the FP32 FMA peak bench_vae measures")
    parser.add_argument("--data", default=os.path.join(ROOT, "data", "mnist"),
                        help="full MNIST's IDX folder, for the whole-epoch runs")
    parser.add_argument("--epoch-rounds", type=int, default=1,
                        help="whole-epoch runs of each program (0: none)")
    parser.add_argument("--update-docs", action="store_true",
                        help=f"replace the generated section of {DOCS}")
    args = parser.parse_args()
    for tool in (args.bench, args.vae_train):
        if not os.access(tool, os.X_OK):
            sys.exit(f"side_by_side: {tool} is not built (bash scripts/build.sh release)")

    global TWIN_ENV
    args.coretype = choose_coretype()
    TWIN_ENV = twin_env(args.coretype)
    measured = measure(args)
    table = render(args, *measured)
    print(table)
    if args.update_docs:
        update_docs(table, cpu_key(measured[8]))


if __name__ == "__main__":
    main()
