#!/usr/bin/python3
"""The PyTorch twin of libvaednn's VAE: the same model, parameter names and layouts.

It is the independent reference the C++ tests compare against, and the baseline of the speed
comparison. Run with Debian's interpreter (/usr/bin/python3) and python3-torch.

  vae_twin.py fixtures [--out tests/fixtures]     golden fixtures for the C++ tests
  vae_twin.py train --data data/mnist --epochs 5  train on IDX data, print the epoch lines
  vae_twin.py bench --threads 2 --batch-size 128 [--mode inference] [--json]
      median time of a training step (or of the forward pass with the loss)
  vae_twin.py eval-checkpoint --checkpoint out/checkpoint.safetensors --out eval.safetensors
      load a vae_train checkpoint (strict load_state_dict) and write the loss of a fixed batch
  vae_twin.py log-likelihood --checkpoint out/checkpoint.safetensors --k 1000 --limit 100
      the importance-sampled log p(x) of test images, as vae_eval computes it; --noise counter
      draws vae_eval's own noise, --compare vae_eval.json checks its per-image numbers
"""
import argparse
import json
import math
import os
import struct
import sys
import time

# A fair baseline needs OpenBLAS built on OpenMP: Debian's default pthread OpenBLAS starts its own
# threads beside PyTorch's OpenMP team, oversubscribes the cores and runs this model about 4x slower
# (252 vs 1,038 images/s at 2 threads; docs/PERFORMANCE.md); the reference BLAS is ~20x slower. The twin
# re-executes itself with that library first on the search path, leaving the system as it is.
# VAEDNN_TWIN_BLAS=system keeps whatever BLAS the system links (to measure the difference).
OPENMP_OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
if (os.path.isdir(OPENMP_OPENBLAS)
        and os.environ.get("VAEDNN_TWIN_BLAS") not in (OPENMP_OPENBLAS, "system")):
    os.environ["VAEDNN_TWIN_BLAS"] = OPENMP_OPENBLAS
    os.environ["LD_LIBRARY_PATH"] = OPENMP_OPENBLAS + ":" + os.environ.get("LD_LIBRARY_PATH", "")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


class Config:
    def __init__(self, hidden=256, latent=20, channels=(32, 64, 32), side=28,
                 likelihood="bernoulli"):
        self.hidden, self.latent, self.channels = hidden, latent, tuple(channels)
        self.side, self.likelihood = side, likelihood

    def as_dict(self):
        return {"hidden": self.hidden, "latent": self.latent, "channels": list(self.channels),
                "side": self.side, "likelihood": self.likelihood}


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lstm = nn.LSTM(input_size=c.side, hidden_size=c.hidden, batch_first=True)
        self.fc_mu = nn.Linear(c.hidden, c.latent)
        self.fc_logvar = nn.Linear(c.hidden, c.latent)

    def forward(self, x):                     # x [N, rows, cols]: each row is one step
        _, (h_n, _) = self.lstm(x)
        h = h_n[0]                            # [N, H], the last step's hidden state
        return self.fc_mu(h), self.fc_logvar(h)


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        c0, c1, c2 = c.channels
        self.c0, self.base = c0, c.side // 4
        self.fc = nn.Linear(c.latent, c0 * self.base * self.base)
        self.deconv1 = nn.ConvTranspose2d(c0, c1, 3, stride=2, padding=1, output_padding=1)
        self.deconv2 = nn.ConvTranspose2d(c1, c2, 3, stride=2, padding=1, output_padding=1)
        self.deconv3 = nn.ConvTranspose2d(c2, 1, 3, stride=1, padding=1)

    def forward(self, z):
        h = F.relu(self.fc(z)).view(-1, self.c0, self.base, self.base)
        h = F.relu(self.deconv1(h))
        h = F.relu(self.deconv2(h))
        return self.deconv3(h)                # [N, 1, rows, cols] logits (or Gaussian means)


class Vae(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.encoder = Encoder(c)
        self.decoder = Decoder(c)

    def forward(self, x, eps):
        mu, logvar = self.encoder(x)
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.decoder(z), mu, logvar

    def loss_terms(self, x, eps):
        """Negative ELBO terms in nats per image (sum over pixels / latents, mean over images)."""
        logits, mu, logvar = self(x, eps)
        n = x.shape[0]
        target = x.view_as(logits)
        if self.config.likelihood == "bernoulli":
            recon = F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / n
        else:  # Gaussian with unit variance
            recon = (0.5 * (logits - target) ** 2 + 0.5 * math.log(2 * math.pi)).sum() / n
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
        return recon + kl, recon, kl


# ----------------------------------------------------------------------------- file formats

def write_safetensors(path, tensors, metadata):
    """Writes float32 tensors in the safetensors format (no library: Debian has none)."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    offset, blobs = 0, []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", f"{name}: only F32 is supported here"
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).copy()
    return tensors, metadata


def read_idx(path):
    import gzip
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find_idx(directory, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    sys.exit(f"vae_twin: {directory}: no {stem}[.gz]")


def load_split(directory, split):
    images = read_idx(find_idx(directory, f"{split}-images-idx3-ubyte"))
    return torch.from_numpy(images.astype(np.float32) / 255.0)


# ----------------------------------------------------------------------------- fixtures

FIXTURE_CONFIGS = {
    # A small model: every code path, fast to check.
    "small": (Config(hidden=16, latent=4, channels=(4, 8, 4)), 3),
    # The default model's shapes at a small batch.
    "default": (Config(), 4),
    # The Gaussian likelihood on the small model.
    "small_gaussian": (Config(hidden=16, latent=4, channels=(4, 8, 4), likelihood="gaussian"), 3),
}
ADAM_STEPS = 3


def make_fixture(name, config, batch, images, out_dir, seed):
    torch.manual_seed(seed)
    model = Vae(config)
    x = images[:batch].clone()
    eps = torch.randn(batch, config.latent)
    tensors = {"input.images": x.numpy(), "input.eps": eps.numpy()}
    for pname, p in model.state_dict().items():
        tensors["param." + pname] = p.detach().numpy().copy()

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    for step in range(ADAM_STEPS):
        optimizer.zero_grad()
        loss, recon, kl = model.loss_terms(x, eps)
        loss.backward()
        losses.append([loss.item(), recon.item(), kl.item()])
        if step == 0:
            for pname, p in model.named_parameters():
                tensors["grad." + pname] = p.grad.detach().numpy().copy()
        optimizer.step()
    for pname, p in model.state_dict().items():
        tensors[f"step{ADAM_STEPS}.param." + pname] = p.detach().numpy().copy()
    # Loss terms before each step: row s = (loss, reconstruction, KL) before step s+1.
    tensors["loss.terms"] = np.array(losses, dtype=np.float32)
    path = os.path.join(out_dir, f"{name}.safetensors")
    meta = dict(config.as_dict(), batch=batch, adam_steps=ADAM_STEPS, seed=seed,
                torch=torch.__version__)
    meta["channels"] = ",".join(map(str, config.channels))
    write_safetensors(path, tensors, meta)
    print(f"{path}: loss {losses[0][0]:.6f} (recon {losses[0][1]:.6f}, KL {losses[0][2]:.6f})")


def command_fixtures(args):
    torch.set_num_threads(1)
    images = load_split(args.data, "train")
    os.makedirs(args.out, exist_ok=True)
    for name, (config, batch) in FIXTURE_CONFIGS.items():
        make_fixture(name, config, batch, images, args.out, seed=args.seed)


# ----------------------------------------------------------------------------- checkpoints

def command_eval_checkpoint(args):
    """Loads a vae_train checkpoint the way a PyTorch user would, evaluates a fixed batch."""
    torch.set_num_threads(1)
    model, metadata = load_checkpoint_model(args.checkpoint)
    config = model.config
    data_dir = args.data or json.loads(metadata["dataset"])["dir"]
    x = load_split(data_dir, "t10k")[:args.count].clone()
    eps = torch.randn(args.count, config.latent, generator=torch.Generator().manual_seed(args.seed))
    with torch.no_grad():
        loss, recon, kl = model.loss_terms(x, eps)
    write_safetensors(args.out, {"input.images": x.numpy(), "input.eps": eps.numpy(),
                                 "loss.terms": np.array([[loss.item(), recon.item(), kl.item()]],
                                                        dtype=np.float32)},
                      {"checkpoint": args.checkpoint})
    print(f"{args.checkpoint}: PyTorch loss {loss.item():.6f} on {args.count} test images")


# ----------------------------------------------------------------------------- log-likelihood

MASK64 = (1 << 64) - 1


def mix64(x):
    """SplitMix64's finaliser on uint64 arrays, as lib/model/counter_rng.hpp (wrapping)."""
    x = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def mix64_int(x):
    return int(mix64(np.array([x & MASK64], dtype=np.uint64))[0])


def counter_normals(seed, step, first, count):
    """Elements first .. first+count-1 of the library's standard_normal(seed, step) stream."""
    with np.errstate(over="ignore"):
        stream = np.uint64(mix64_int(seed ^ mix64_int(step + 0x632BE59BD9B4E019)))
        e = np.arange(first, first + count, dtype=np.uint64)
        pair = e // np.uint64(2)
        a = mix64(stream + np.uint64(2) * pair)
        b = mix64(stream + np.uint64(2) * pair + np.uint64(1))
    unit = lambda bits: ((bits >> np.uint64(11)).astype(np.float64) + 1.0) / 9007199254740992.0
    radius = np.sqrt(-2.0 * np.log(unit(a)))
    angle = 2.0 * math.pi * unit(b)
    return np.where(e % np.uint64(2) == 0, radius * np.cos(angle),
                    radius * np.sin(angle)).astype(np.float32)


EVALUATION_STREAM = 0x1A7E5A3B1E5EED      # lib/model/importance_noise.hpp
BINARIZE_STREAM = 0xB1A4A41CE5EED5        # lib/data/binarize.cpp
FIXED_BINARIZE_SEED, FIXED_BINARIZE_EPOCH = 0x7E57B1A4, MASK64


def binarize_fixed(x, first_image=0):
    """The library's fixed binarisation (binarize_fixed) of images x [N, rows, cols], the first
    of which is image `first_image` of its split."""
    first = first_image * x[0].numel()
    with np.errstate(over="ignore"):
        stream = mix64_int(FIXED_BINARIZE_SEED ^ mix64_int(FIXED_BINARIZE_EPOCH ^ BINARIZE_STREAM)
                           ^ BINARIZE_STREAM)
        bits = mix64(np.uint64(stream) + np.arange(first, first + x.numel(), dtype=np.uint64))
    u = (bits >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)
    return torch.from_numpy((u < x.reshape(-1).numpy()).astype(np.float32)).view_as(x)


def load_checkpoint_model(path):
    """The model a vae_train checkpoint holds, loaded strictly under PyTorch's names (Adam's
    moments travel in the same file under adam.*), and the file's metadata."""
    tensors, metadata = read_safetensors(path)
    saved = json.loads(metadata["config"])
    config = Config(hidden=saved["hidden"], latent=saved["latent"],
                    channels=saved["decoder_channels"], side=saved["image_rows"],
                    likelihood=saved["likelihood"])
    model = Vae(config)
    state = {name: torch.from_numpy(value) for name, value in tensors.items()
             if not name.startswith("adam.")}
    model.load_state_dict(state, strict=True)
    return model, metadata


def log_likelihood(model, x, k, seed, noise, chunk, first_image=0):
    """Per-image importance-sampled log p(x) and single-sample -ELBO, in float64 nats; x[0] is
    image `first_image` of its split (vae_eval's noise is drawn per image of the split)."""
    c = model.config
    n, latent = x.shape[0], c.latent
    pixels = x[0].numel()
    noise_seed = mix64_int(seed ^ EVALUATION_STREAM)
    generator = torch.Generator().manual_seed(seed)
    ll, nelbo = torch.zeros(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)
    with torch.no_grad():
        for i in range(n):
            mu, logvar = model.encoder(x[i:i + 1])
            target = x[i].reshape(1, pixels).double()
            if noise == "counter":
                eps_all = torch.from_numpy(
                    counter_normals(noise_seed, first_image + i, 0, k * latent))
            else:
                eps_all = torch.randn(k * latent, generator=generator)
            eps_all = eps_all.view(k, latent)
            log_w = []
            for s0 in range(0, k, chunk):
                eps = eps_all[s0:s0 + chunk]
                z = mu + torch.exp(0.5 * logvar) * eps
                out = model.decoder(z).reshape(len(z), pixels).double()
                if c.likelihood == "bernoulli":
                    log_px = (target * out - F.softplus(out)).sum(1)
                else:
                    log_px = -(0.5 * (target - out) ** 2 + 0.5 * math.log(2 * math.pi)).sum(1)
                zd, ed = z.double(), eps.double()
                log_ratio = (-0.5 * zd ** 2 + 0.5 * ed ** 2 + 0.5 * logvar.double()).sum(1)
                if s0 == 0:
                    kl = -0.5 * torch.sum(1 + logvar.double() - mu.double() ** 2
                                          - logvar.double().exp())
                    nelbo[i] = -log_px[0] + kl
                log_w.append(log_px + log_ratio)
            ll[i] = torch.logsumexp(torch.cat(log_w), 0) - math.log(k)
    return ll, nelbo


def command_log_likelihood(args):
    torch.set_num_threads(args.threads)
    ours = None
    if args.compare:
        with open(args.compare) as f:
            ours = json.load(f)
        # Everything that picks the numbers comes from vae_eval's report.
        args.k, args.limit, args.seed = ours["k"], ours["images"], ours["seed"]
        args.first = ours.get("first_image", 0)
        args.split, args.binarize = ours["split"], ours["binarize"]
        args.data = args.data or ours["data_dir"]
    model, metadata = load_checkpoint_model(args.checkpoint)
    data_dir = args.data or json.loads(metadata["dataset"])["dir"]
    raw = read_idx(find_idx(data_dir, ("t10k" if args.split == "test" else "train")
                            + "-images-idx3-ubyte"))
    raw = raw[args.first:args.first + args.limit] if args.limit > 0 else raw[args.first:]
    x = torch.from_numpy(raw.astype(np.float32) * np.float32(1.0 / 255.0))  # as gather_batch
    if args.binarize == "fixed":
        x = binarize_fixed(x, args.first)
    start = time.perf_counter()
    ll, nelbo = log_likelihood(model, x, args.k, args.seed, args.noise, args.chunk, args.first)
    seconds = time.perf_counter() - start
    n = len(ll)
    se = lambda v: (v.std().item() / math.sqrt(n)) if n > 1 else 0.0
    result = {"first_image": args.first, "images": n, "k": args.k, "seed": args.seed,
              "noise": args.noise,
              "log_likelihood": ll.mean().item(), "log_likelihood_standard_error": se(ll),
              "negative_elbo": nelbo.mean().item(), "negative_elbo_standard_error": se(nelbo),
              "seconds": seconds, "per_image_log_likelihood": ll.tolist()}
    print(f"twin -ELBO     {result['negative_elbo']:.4f} ± {se(nelbo):.4f} nats")
    print(f"twin log p(x)  {result['log_likelihood']:.4f} ± {se(ll):.4f} nats  (k = {args.k}, "
          f"{args.noise} noise, {n} images, {seconds:.2f} s)")
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(result, f, indent=1)
        os.replace(args.json + ".tmp", args.json)
    if ours is not None:
        theirs = torch.tensor(ours["per_image_log_likelihood"], dtype=torch.float64)
        worst = (theirs - ll).abs().max().item()
        mean_gap = abs(ours["log_likelihood"] - result["log_likelihood"])
        print(f"vae_eval log p(x) {ours['log_likelihood']:.4f}: mean differs by {mean_gap:.5f}, "
              f"the worst image by {worst:.5f} nats (tolerance {args.tolerance})")
        if mean_gap > args.tolerance or (args.noise == "counter" and worst > args.tolerance):
            sys.exit("FAIL: vae_eval and the twin disagree")
        print("PASS: vae_eval's log-likelihood equals the twin's")


# ----------------------------------------------------------------------------- benchmark

def command_bench(args):
    """Median wall time of a whole training step (forward, loss, backward, Adam) of the default
    model on a fixed batch, the same work bench_vae's train_step times; with --mode inference,
    the forward pass and the loss without gradients, as bench_vae's inference."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Vae(Config())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(args.batch_size, 28, 28)
    eps = torch.randn(args.batch_size, 20)

    def train_step():
        optimizer.zero_grad()
        model.loss_terms(x, eps)[0].backward()
        optimizer.step()

    def inference():
        with torch.no_grad():
            model.loss_terms(x, eps)

    step = train_step if args.mode == "train" else inference
    for _ in range(3):  # warm-up
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    median = sorted(times)[len(times) // 2]
    blas = os.environ.get("VAEDNN_TWIN_BLAS", "system")
    # The loss after the timed steps: another BLAS kernel must give it to rounding, or it is not
    # computing the same thing (tools/side_by_side.py checks each OpenBLAS core type with it).
    with torch.no_grad():
        loss = model.loss_terms(x, eps)[0].item()
    if args.json:
        print(json.dumps({"median_seconds": median, "steps": args.steps, "mode": args.mode,
                          "batch_size": args.batch_size, "threads": args.threads,
                          "torch": torch.__version__, "blas": blas, "loss": loss,
                          "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "")}))
        return
    name = "train_step" if args.mode == "train" else "inference"
    print(f"pytorch {torch.__version__} {name}/batch:{args.batch_size} threads {args.threads} "
          f"BLAS {blas}: median {median * 1e3:.1f} ms, {args.batch_size / median:.0f} images/s "
          f"over {args.steps} steps")


# ----------------------------------------------------------------------------- training

def command_train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, test = load_split(args.data, "train"), load_split(args.data, "t10k")
    if args.limit:
        train = train[:args.limit]
    config = Config(hidden=args.hidden, latent=args.latent, likelihood=args.likelihood)
    model = Vae(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        start = time.time()
        model.train()
        order = torch.randperm(len(train), generator=generator)
        totals, seen = torch.zeros(3), 0
        for first in range(0, len(train), args.batch_size):
            x = train[order[first:first + args.batch_size]]
            eps = torch.randn(len(x), config.latent, generator=generator)
            optimizer.zero_grad()
            loss, recon, kl = model.loss_terms(x, eps)
            loss.backward()
            optimizer.step()
            totals += torch.tensor([loss.item(), recon.item(), kl.item()]) * len(x)
            seen += len(x)
        seconds = time.time() - start
        model.eval()
        with torch.no_grad():
            test_total = 0.0
            for first in range(0, len(test), args.batch_size):
                x = test[first:first + args.batch_size]
                eps = torch.randn(len(x), config.latent, generator=generator)
                test_total += model.loss_terms(x, eps)[0].item() * len(x)
        train_avg = totals / seen
        print(f"====> Epoch: {epoch}  loss {train_avg[0]:.4f}  recon {train_avg[1]:.4f}  "
              f"KL {train_avg[2]:.4f}  test loss {test_total / len(test):.4f}  "
              f"images/s {seen / seconds:.0f}  {seconds:.2f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)

    fixtures = sub.add_parser("fixtures", help="write the golden fixtures")
    fixtures.add_argument("--out", default=os.path.join(root, "tests", "fixtures"))
    fixtures.add_argument("--data", default=os.path.join(root, "data", "mnist"))
    fixtures.add_argument("--seed", type=int, default=1234)
    fixtures.set_defaults(run=command_fixtures)

    train = sub.add_parser("train", help="train on IDX data")
    train.add_argument("--data", default=os.path.join(root, "data", "mnist"))
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--lr", type=float, default=1e-3)
    train.add_argument("--hidden", type=int, default=256)
    train.add_argument("--latent", type=int, default=20)
    train.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default="bernoulli")
    train.add_argument("--seed", type=int, default=1)
    train.add_argument("--threads", type=int, default=2)
    train.add_argument("--limit", type=int, default=0)
    train.set_defaults(run=command_train)

    bench = sub.add_parser("bench", help="time the training step")
    bench.add_argument("--threads", type=int, default=2)
    bench.add_argument("--batch-size", type=int, default=128)
    bench.add_argument("--steps", type=int, default=20)
    bench.add_argument("--mode", choices=["train", "inference"], default="train")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(run=command_bench)

    evaluate = sub.add_parser("eval-checkpoint", help="evaluate a vae_train checkpoint")
    evaluate.add_argument("--checkpoint", required=True)
    evaluate.add_argument("--out", required=True)
    evaluate.add_argument("--data", default="")
    evaluate.add_argument("--count", type=int, default=16)
    evaluate.add_argument("--seed", type=int, default=5)
    evaluate.set_defaults(run=command_eval_checkpoint)

    ll = sub.add_parser("log-likelihood", help="importance-sampled log p(x) of a checkpoint")
    ll.add_argument("--checkpoint", required=True)
    ll.add_argument("--data", default="", help="default: the checkpoint's dataset folder")
    ll.add_argument("--split", choices=["test", "train"], default="test")
    ll.add_argument("--first", type=int, default=0, help="start at image N of the split")
    ll.add_argument("--limit", type=int, default=100, help="N images (0: all)")
    ll.add_argument("--k", type=int, default=1000)
    ll.add_argument("--seed", type=int, default=0)
    ll.add_argument("--binarize", choices=["none", "fixed"], default="none")
    ll.add_argument("--noise", choices=["counter", "torch"], default="counter",
                    help="counter: vae_eval's own draws; torch: torch.randn")
    ll.add_argument("--chunk", type=int, default=500, help="samples decoded at once")
    ll.add_argument("--threads", type=int, default=2)
    ll.add_argument("--json", default="")
    ll.add_argument("--compare", default="",
                    help="vae_eval --json output: take its settings, check its numbers")
    ll.add_argument("--tolerance", type=float, default=0.2)
    ll.set_defaults(run=command_log_likelihood)

    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
