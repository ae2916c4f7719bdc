#!/usr/bin/env python3
"""PyTorch twin of the kit's DAAD family (AE, AE+Skip, MemAE*, DAAD).

Builds the network of the DAAD supplement's Table 2 in plain PyTorch modules from the
kit's saved network configuration (`model_config` of a run's config.json, carried in the
weights file's metadata), loads the kit's weights (safetensors, PyTorch names and
layouts), runs one training step's forward pass and backward pass on the batch the kit
wrote, and checks that the reconstruction, the loss and its parts, every gradient and
the batch-norm running statistics after the step equal the kit's within a relative
tolerance (default 1e-4: max |kit - twin| / max |twin| per tensor, the twin computing in
float64). A tensor that float32 arithmetic cannot reach that for (a sum with heavy
cancellation, such as a batch-norm weight's gradient) passes within 10 times PyTorch's own
float32 error on it, and is listed as such.

Usage (normally through `deno task twin --run DIR`, which writes the fixture first):

    /usr/bin/python3 tools/torch_twin.py FIXTURE_DIR [FIXTURE_DIR ...] [--tolerance 1e-4]
        [--verbose]

A fixture folder holds `weights.safetensors` (the state before the step) and
`step.safetensors` (`input` and `reconstruction` as [B, C, H, W], `loss`, `loss.<part>`,
`grad.<name>` per trainable tensor, `after.<name>` per running statistic).

The computation is written from the papers, not from the kit's code: torch.nn layers
(Conv2d with padding 1, BatchNorm2d, ConvTranspose2d 2x2 stride 2, max-pooling), the
block memory of DAAD section 3.1.2 (eq. 1-2 with the 1/N drop, MemAE's hard shrinkage and
entropy, or the options `dot` and `vq`), eq. 4's loss. It computes in float64, so the
differences it reports are the kit's float32 error, and once more in float32 to measure
PyTorch's own. No safetensors package is
needed: the format is read with struct and json.

Exit status: 0 when every check passes, 1 when one fails, 2 for bad input.
"""
import argparse
import json
import math
import struct
import sys

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - reported to the user
    sys.stderr.write(
        "error: the PyTorch twin needs PyTorch for /usr/bin/python3 "
        "(Debian: apt-get install -y python3-torch)\n"
    )
    sys.exit(2)


class TwinError(Exception):
    """Bad input: a missing or broken fixture, a configuration the twin cannot build."""


# ----------------------------------------------------------------------------------------
# safetensors, read from the format's description: u64 LE header size, JSON, raw data


def read_safetensors(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TwinError(f"{path}: {e.strerror}")
    if len(data) < 8:
        raise TwinError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise TwinError(f"{path}: header of {n} bytes is longer than the file")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except ValueError as e:
        raise TwinError(f"{path}: header is not JSON ({e})")
    body = data[8 + n :]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        if info.get("dtype") != "F32":
            raise TwinError(f"{path}: tensor {name} is {info.get('dtype')}, expected F32")
        begin, end = info["data_offsets"]
        shape = info["shape"]
        count = math.prod(shape) if shape else 1
        if end - begin != 4 * count or end > len(body):
            raise TwinError(f"{path}: tensor {name} does not fit its offsets")
        values = struct.unpack("<%df" % count, body[begin:end])
        tensors[name] = torch.tensor(values, dtype=torch.float64).reshape(shape)
    return tensors, metadata


# ----------------------------------------------------------------------------------------
# The network (supplement Table 2)


# Discrete choices that float32 rounding can decide (a ReLU input within rounding of 0, a
# max-pooling window whose two largest values are that close, a memory weight that close
# to the 1/N threshold, two items that close to a query): the kit in float32 may choose
# the other way, which moves gradients below the choice. Counted in the float64 pass.
NEAR = {"relu": 0, "max-pool": 0, "memory": 0}
NEAR_RELATIVE = 1e-5


def near(values, scale):
    return int((values.abs() <= NEAR_RELATIVE * scale).sum().item())


class ConvBNReLU(nn.Module):
    """3x3 convolution (padding 1), batch norm, ReLU."""

    def __init__(self, cin, cout, bias):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=bias)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)

    def forward(self, x):
        z = self.bn(self.conv(x))
        NEAR["relu"] += near(z.detach(), z.detach().abs().max().item())
        return F.relu(z)


def max_pool(x):
    """2x2 max-pooling, stride 2 (counting near-ties)."""
    b, c, h, w = x.shape
    windows = x.detach().reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 2, 4, 3, 5)
    top = windows.reshape(b, c, h // 2, w // 2, 4).topk(2, dim=-1).values
    scale = x.detach().abs().max().item()
    # Exact ties (equal patches, ReLU zeros) are decided by the tie rule, the same in float32
    # and float64 (and ties among zeros route a gradient the ReLU below stops anyway).
    gap = top[..., 0] - top[..., 1]
    NEAR["max-pool"] += near(gap[gap > 0], scale)
    return F.max_pool2d(x, 2)


def two_convs(cin, cout, bias):
    return nn.ModuleDict({"1": ConvBNReLU(cin, cout, bias), "2": ConvBNReLU(cout, cout, bias)})


def run_two(block, x):
    return block["2"](block["1"](x))


class BlockMemory(nn.Module):
    """A memory bank addressed block-wise (DAAD section 3.1.2).

    A map [B, C, H, W] is cut into rh x rw x rc blocks; each block, flattened in
    (row, column, channel) order, is a query; queries are ordered by image, block row,
    block column, channel group. The bank holds N items of the query's size.
    """

    def __init__(self, rates, items, dim, cfg, trainable_items):
        super().__init__()
        self.rates = rates
        self.n = items
        self.cfg = cfg
        bank = torch.zeros(items, dim)
        if trainable_items:
            self.items = nn.Parameter(bank)
        else:
            self.register_buffer("items", bank)
        # State the kit keeps beside the items; loaded so that the weights file fits.
        if cfg.get("memoryUpdate") == "ema":
            self.register_buffer("ema_count", torch.zeros(items))
            self.register_buffer("ema_sum", torch.zeros(items, dim))
        if cfg.get("memoryInit") == "queries":
            self.register_buffer("initialized", torch.zeros(()))
            self.register_buffer("items_start", torch.zeros(items, dim))

    def divide(self, f):
        b, c, h, w = f.shape
        rh, rw, rc = self.rates
        t = f.reshape(b, rc, c // rc, rh, h // rh, rw, w // rw)
        # -> [B, rh, rw, rc, bh, bw, bc]
        t = t.permute(0, 3, 5, 1, 4, 6, 2)
        return t.reshape(b * rh * rw * rc, -1)

    def assemble(self, q, shape):
        b, c, h, w = shape
        rh, rw, rc = self.rates
        t = q.reshape(b, rh, rw, rc, h // rh, w // rw, c // rc)
        t = t.permute(0, 3, 6, 1, 4, 2, 5)  # -> [B, rc, bc, rh, bh, rw, bw]
        return t.reshape(b, c, h, w)

    def forward(self, f):
        """The read map and the loss terms this bank contributes."""
        q = self.divide(f)
        m = self.items
        cfg = self.cfg
        terms = {}
        similarity = cfg.get("similarity") or "cosine"
        if similarity == "vq":
            # VQ-VAE: nearest item by L2 distance, straight-through read.
            dist = torch.cdist(q, m) ** 2
            k = dist.argmin(dim=1)
            if self.n > 1:
                two = dist.detach().topk(2, dim=1, largest=False).values
                NEAR["memory"] += near(two[:, 1] - two[:, 0], dist.detach().max().item())
            nearest = m[k]
            read = q + (nearest - q).detach()
            terms["commitment"] = F.mse_loss(q, nearest.detach())
            if cfg.get("memoryUpdate") != "ema":
                terms["codebook"] = F.mse_loss(q.detach(), nearest)
            w = F.one_hot(k, self.n).to(q.dtype)
        else:
            if similarity == "dot":
                s = q @ m.t()
            else:
                s = F.normalize(q, dim=1) @ F.normalize(m, dim=1).t()  # eq. 1
            s = s / cfg["temperature"]
            w = torch.softmax(s, dim=1)
            threshold = 1.0 / self.n if cfg["addressing"] == "daad" else cfg["shrinkThreshold"]
            NEAR["memory"] += near(w.detach() - threshold, 1.0)
            if cfg["addressing"] == "daad":
                # Items weighing less than 1/N are dropped (paper section 3.1.2).
                w = torch.where(w >= 1.0 / self.n, w, torch.zeros_like(w))
                if cfg.get("renormalize"):
                    w = w / w.sum(dim=1, keepdim=True)
            else:
                # MemAE's hard shrinkage and L1 renormalisation, with its entropy loss.
                lam = cfg["shrinkThreshold"]
                w = F.relu(w - lam) * w / (torch.abs(w - lam) + 1e-12)
                w = F.normalize(w, p=1, dim=1)
                terms["entropy"] = (-w * torch.log(w + 1e-12)).sum(dim=1).mean()
            read = w @ m  # eq. 2
        if cfg.get("compactnessWeight", 0) > 0:
            picked = m[w.argmax(dim=1)]
            terms["compactness"] = ((q - picked) ** 2).mean()
        return self.assemble(read, f.shape), terms


class DaadTwin(nn.Module):
    """AE, AE+Skip, MemAE* or DAAD from the kit's `model_config`."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        variant = cfg["variant"]
        if variant not in ("ae", "ae-skip", "memae", "daad"):
            raise TwinError(f"the twin builds ae, ae-skip, memae and daad, not {variant}")
        w = cfg["width"]
        ch = [w, 2 * w, 4 * w, 8 * w, cfg.get("bottleneck") or 16 * w]
        self.ch = ch
        bias = cfg.get("init") == "torch"  # PyTorch's default conv bias (kit: --init torch)
        self.skips = variant in ("ae-skip", "daad")
        self.memory_scales = {"daad": [1, 2, 3, 4], "memae": [4]}.get(variant, [])
        cin = cfg["channels"]
        for i in range(4):
            setattr(self, f"enc{i + 1}", two_convs(cin, ch[i], bias))
            cin = ch[i]
        size = cfg["size"]
        trainable = cfg.get("memoryUpdate", "gradient") != "ema"
        for scale in self.memory_scales:
            side = size // 2**scale
            rates = self.rates(scale)
            rh, rw, rc = rates
            dim = (side // rh) * (side // rw) * (ch[scale - 1] // rc)
            setattr(self, f"mem{scale}", BlockMemory(rates, cfg["memory"], dim, cfg, trainable))
        self.bottleneck = two_convs(ch[3], ch[4], bias)
        for k in (3, 2, 1):
            setattr(self, f"up{k + 1}", nn.ConvTranspose2d(ch[k + 1], ch[k], 2, stride=2))
            cat = ch[k] + ch[k - 1] if self.skips else ch[k]
            setattr(self, f"dec{k + 1}", two_convs(cat, ch[k], bias))
        self.up1 = nn.ConvTranspose2d(ch[1], ch[0], 2, stride=2)
        self.head = nn.ModuleDict(
            {
                "1": ConvBNReLU(ch[0], ch[0], bias),
                "2": ConvBNReLU(ch[0], ch[0], bias),
                "out": nn.Conv2d(ch[0], cfg["channels"], 1),
            }
        )

    def rates(self, scale):
        cfg = self.cfg
        division = cfg.get("division")
        side = cfg["size"] // 16
        base = division if division is not None else [side, side, 1]
        per_scale = cfg.get("scaleRates")
        if per_scale is not None:
            return [per_scale[scale - 1], per_scale[scale - 1], base[2]]
        return list(base)

    def forward(self, x):
        """The reconstruction and the memory's loss terms, summed or averaged as eq. 4 adds them."""
        feats = []
        f = x
        for i in range(4):
            f = max_pool(run_two(getattr(self, f"enc{i + 1}"), f))
            feats.append(f)
        terms = {}
        skips = []
        for scale, f in enumerate(feats, start=1):
            if scale in self.memory_scales:
                f, t = getattr(self, f"mem{scale}")(f)
                for name, value in t.items():
                    terms.setdefault(name, []).append(value)
            skips.append(f)
        y = run_two(self.bottleneck, skips[3])
        for k in (3, 2, 1):
            up = getattr(self, f"up{k + 1}")(y)
            y = run_two(getattr(self, f"dec{k + 1}"), torch.cat([up, skips[k - 1]], 1) if self.skips else up)
        y = self.head["2"](self.head["1"](self.up1(y)))
        return self.head["out"](y), terms

    def loss(self, x, reconstruction, terms):
        cfg = self.cfg
        if cfg.get("recLoss") == "l2":
            rec = torch.sqrt(((x - reconstruction) ** 2).flatten(1).sum(1) + 1e-12).mean()  # eq. 4
        else:
            rec = F.mse_loss(reconstruction, x)
        parts = {"rec": rec}
        total = rec
        if "entropy" in terms and cfg.get("entropyWeight", 0) != 0:
            parts["entropy"] = sum(terms["entropy"])
            total = total + cfg["entropyWeight"] * parts["entropy"]
        if "compactness" in terms and cfg.get("compactnessWeight", 0) != 0:
            parts["compactness"] = sum(terms["compactness"]) / len(terms["compactness"])
            total = total + cfg["compactnessWeight"] * parts["compactness"]
        if "commitment" in terms:
            parts["commitment"] = sum(terms["commitment"])
            total = total + cfg.get("commitmentWeight", 0.25) * parts["commitment"]
        if "codebook" in terms:
            parts["codebook"] = sum(terms["codebook"])
            total = total + parts["codebook"]
        return total, parts


# ----------------------------------------------------------------------------------------
# The check


def relative_error(kit, twin, scale=None):
    """max |kit - twin| / max |twin| (or / `scale` where given)."""
    kit = kit.to(torch.float64)
    twin = twin.to(torch.float64)
    if kit.shape != twin.shape:
        return math.inf
    if twin.numel() == 0:
        return 0.0
    if scale is None:
        scale = twin.abs().max().item()
    diff = (kit - twin).abs().max().item()
    if scale == 0.0:
        return 0.0 if diff == 0.0 else math.inf
    return diff / scale


def twin_step(cfg, weights, x, dtype):
    """One training step of the twin in `dtype`: every output the kit recorded, by name."""
    model = DaadTwin(cfg)
    # BatchNorm2d's batch counter is PyTorch's own; everything else comes from the kit.
    own = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    missing = sorted(set(own) - set(weights))
    extra = sorted(set(weights) - set(own))
    if missing or extra:
        raise TwinError(
            f"the kit's weights do not fit the twin's network "
            f"(missing {missing[:5]}, unexpected {extra[:5]})"
        )
    model.load_state_dict({k: weights[k] for k in own}, strict=False)
    model.to(dtype).train()
    x = x.to(dtype)
    reconstruction, terms = model(x)
    total, parts = model.loss(x, reconstruction, terms)
    model.zero_grad()
    total.backward()
    out = {"reconstruction": reconstruction.detach(), "loss": total.detach()}
    for name, value in parts.items():
        out[f"loss.{name}"] = value.detach()
    params = dict(model.named_parameters())
    for name, p in params.items():
        out[f"grad.{name}"] = p.grad if p.grad is not None else torch.zeros_like(p)
    for name, b in model.named_buffers():
        out[f"after.{name}"] = b.detach()
    # A conv bias before batch norm has a zero gradient in exact arithmetic (batch norm
    # removes any shift): both sides then hold rounding noise, so such a gradient is
    # compared on the scale of the same layer's weight gradient.
    scales = {}
    for name, p in params.items():
        if not name.endswith(".bias") or p.grad is None:
            continue
        w = params.get(name[: -len("bias")] + "weight")
        if w is not None and w.grad is not None:
            wscale = w.grad.abs().max().item()
            if p.grad.abs().max().item() < 1e-6 * wscale:
                scales[f"grad.{name}"] = wscale
    return out, scales


def check_fixture(path, tolerance):
    """Compares the kit's step with the twin's (float64) and PyTorch's own float32 error.

    Returns the configuration and, per tensor, (name, kit's error, PyTorch float32's
    error), both relative to the float64 twin.
    """
    weights, meta = read_safetensors(f"{path}/weights.safetensors")
    step, _ = read_safetensors(f"{path}/step.safetensors")
    if "model_config" not in meta:
        raise TwinError(f"{path}/weights.safetensors has no model_config in its metadata")
    cfg = json.loads(meta["model_config"])
    try:
        for key in NEAR:
            NEAR[key] = 0
        ref, scales = twin_step(cfg, weights, step["input"], torch.float64)
        close = dict(NEAR)
        single, _ = twin_step(cfg, weights, step["input"], torch.float32)
    except TwinError as e:
        raise TwinError(f"{path}: {e}")
    kit_keys = sorted(k for k in step if k != "input")
    missing = [k for k in kit_keys if k not in ref]
    if missing:
        raise TwinError(f"{path}: the twin has no {missing[:5]}")
    for prefix in ("loss.", "grad."):
        theirs = sorted(k for k in ref if k.startswith(prefix))
        mine = sorted(k for k in kit_keys if k.startswith(prefix))
        if theirs != mine:
            raise TwinError(f"{path}: the kit records {mine[:6]}..., the twin has {theirs[:6]}...")
    results = []
    for key in kit_keys:
        scale = scales.get(key)
        results.append(
            (
                key,
                relative_error(step[key], ref[key], scale),
                relative_error(single[key], ref[key], scale),
            )
        )
    return cfg, results, close


FLOAT32_ALLOWANCE = 10


def passes(kit_error, torch32_error, tolerance):
    """Within the tolerance, or (a tensor float32 cannot reach it for) within 10 times
    PyTorch's own float32 error."""
    return kit_error <= max(tolerance, FLOAT32_ALLOWANCE * torch32_error)


def main(argv):
    parser = argparse.ArgumentParser(description="PyTorch twin of the kit's DAAD family")
    parser.add_argument("fixtures", nargs="+", help="folders written by deno task twin")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--verbose", action="store_true", help="print every tensor's error")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    failed = 0
    for path in args.fixtures:
        try:
            cfg, results, close = check_fixture(path, args.tolerance)
        except TwinError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        bad = [r for r in results if not passes(r[1], r[2], args.tolerance)]
        loose = [r for r in results if r[1] > args.tolerance and r not in bad]
        worst = max(results, key=lambda r: r[1])
        grads = sum(1 for r in results if r[0].startswith("grad."))
        extras = [
            f"{k} {cfg[k]}"
            for k in ("addressing", "similarity", "init", "bottleneck", "recLoss")
            if cfg.get(k) is not None
        ]
        if args.verbose:
            for what, err, err32 in results:
                print(f"  {what}: kit {err:.2e} (PyTorch float32 {err32:.2e})")
        status = "ok" if not bad else "FAILED"
        print(
            f"twin {status}: {cfg['variant']} ({', '.join(extras)}): {len(results)} tensors "
            f"(reconstruction, loss and its parts, {grads} gradients, running statistics); "
            f"worst relative error {worst[1]:.2e} ({worst[0]}; PyTorch float32: {worst[2]:.2e}); "
            f"{len(results) - len(loose) - len(bad)} within {args.tolerance:g}"
        )
        for what, err, err32 in loose:
            print(
                f"  {what}: {err:.2e}, ill-conditioned in float32 (PyTorch float32 is off by "
                f"{err32:.2e}): within {FLOAT32_ALLOWANCE}x that"
            )
        shown = bad if args.verbose else sorted(bad, key=lambda r: -r[1])[:8]
        for what, err, err32 in shown:
            print(f"  {what}: relative error {err:.3e} (PyTorch float32: {err32:.3e}): FAILED")
        if len(shown) < len(bad):
            print(f"  ... and {len(bad) - len(shown)} more (--verbose lists them)")
        decided = {k: v for k, v in close.items() if v > 0}
        if decided:
            print(
                "  choices within float32 rounding in this step ("
                + ", ".join(f"{v} {k}" for k, v in decided.items())
                + "): the kit may take them the other way, which moves the gradients below them"
                + ("" if not bad else "; another batch (--batch) or the cpu backend decides")
            )
        failed += 1 if bad else 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
