"""The kit's DAAD-family network in PyTorch, to time the kit against PyTorch on the CPU.

Used only by `deno task bench --ref auto` (lib/cli/bench.ts): it builds the same network
as lib/models/daad/model.ts (supplement Table 2 scaled by --width; AE = no skips and no
memory; DAAD = skips filtered by block-wise memories at the four scales), trains it with
Adam on a fixed random batch in [-1, 1] (forward, MSE loss, backward, update: one
"step"), or scores it (forward in eval mode), and prints one line:

    <model> ref ...: <ms> ms/step, <img/s> img/s, ...

The layer order, channel counts, the memory's block division, addressing (softmax of
cosine similarities, weights below 1/N dropped) and the batch-norm/ReLU placement follow
the kit's model; PyTorch's own initialisation is kept (speed does not depend on it).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def cbr(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class BlockMemory(nn.Module):
    """Divide a map into rh x rw x rc blocks, address N items by cosine softmax, assemble."""

    def __init__(self, c, h, w, rh, rw, rc, n):
        super().__init__()
        self.r = (rh, rw, rc)
        self.d = (h // rh) * (w // rw) * (c // rc)
        self.mem = nn.Parameter(torch.randn(n, self.d) / self.d ** 0.5)

    def forward(self, f):
        b, c, h, w = f.shape
        rh, rw, rc = self.r
        q = f.reshape(b, rc, c // rc, rh, h // rh, rw, w // rw).permute(0, 3, 5, 1, 4, 6, 2).reshape(-1, self.d)
        att = F.softmax(F.normalize(q, dim=1) @ F.normalize(self.mem, dim=1).t(), dim=1)
        att = att * (att >= 1.0 / att.shape[1])
        out = att @ self.mem
        return out.reshape(b, rh, rw, rc, h // rh, w // rw, c // rc).permute(0, 3, 6, 1, 4, 2, 5).reshape(b, c, h, w)


class Net(nn.Module):
    def __init__(self, model, size, width, channels, division, n):
        super().__init__()
        ch = [width * 2 ** i for i in range(5)]
        self.skips = model == "daad"
        self.enc = nn.ModuleList()
        self.mem = nn.ModuleList()
        cin = channels
        for i in range(4):
            self.enc.append(nn.Sequential(cbr(cin, ch[i]), cbr(ch[i], ch[i])))
            cin = ch[i]
            s = size // 2 ** (i + 1)
            rh, rw, rc = division
            self.mem.append(BlockMemory(ch[i], s, s, rh, rw, rc, n) if self.skips else nn.Identity())
        self.bott = nn.Sequential(cbr(ch[3], ch[4]), cbr(ch[4], ch[4]))
        self.up = nn.ModuleList([nn.ConvTranspose2d(ch[k + 1], ch[k], 2, 2) for k in (3, 2, 1, 0)])
        cat = lambda k: ch[k] + ch[k - 1] if self.skips else ch[k]
        self.dec = nn.ModuleList([nn.Sequential(cbr(cat(k), ch[k]), cbr(ch[k], ch[k])) for k in (3, 2, 1)])
        self.head = nn.Sequential(cbr(ch[0], ch[0]), cbr(ch[0], ch[0]), nn.Conv2d(ch[0], channels, 1))

    def forward(self, x):
        skips = []
        for e, m in zip(self.enc, self.mem):
            x = F.max_pool2d(e(x), 2)
            skips.append(m(x))
        y = self.bott(skips[3])
        for i, k in enumerate((3, 2, 1)):
            up = self.up[i](y)
            y = self.dec[i](torch.cat([up, skips[k - 1]], 1) if self.skips else up)
        return self.head(self.up[3](y))


def blas_gflops():
    """GFLOP/s of one float32 product [64, 4096] x [4096, 512], the size of the memory's reads.

    Debian's PyTorch calls the system's libblas.so.3 for matrix products: the reference BLAS when
    no optimised one is installed, about 30x slower than OpenBLAS, which would make the reference,
    and every ratio to it, wrong. The bench prints this figure and warns when it is low."""
    a = torch.rand(64, 4096)
    b = torch.rand(4096, 512)
    a @ b
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * 64 * 4096 * 512 / best / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["ae", "daad"], default="daad")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--memory", type=int, default=500)
    p.add_argument("--division", default="2,2,1")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--kind", choices=["train", "score"], default="train")
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    division = tuple(int(v) for v in a.division.split(","))
    m = Net(a.model, a.size, a.width, a.channels, division, a.memory).to(a.device)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x = torch.rand(a.batch, a.channels, a.size, a.size, device=a.device) * 2 - 1
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)

    def train():
        loss = F.mse_loss(m(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    def score():
        with torch.no_grad():
            y = m(x)
            s = ((y - x) ** 2).mean(1)
            return s.mean((1, 2)).sum().item()

    blas = blas_gflops() if a.device == "cpu" else float("nan")
    if a.kind == "score":
        m.eval()
    step = train if a.kind == "train" else score
    for _ in range(a.warmup):
        step()
    times = []
    cpu0 = time.process_time()
    for _ in range(a.steps):
        sync()
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / a.steps
    times.sort()
    dt = times[len(times) // 2]
    params = sum(q.numel() for q in m.parameters())
    print(f"{a.model.upper()} ref {a.kind} size={a.size} width={a.width} channels={a.channels} "
          f"batch={a.batch} threads={a.threads} device={a.device} torch={torch.__version__}: "
          f"{dt * 1e3:.1f} ms/step, {a.batch / dt:.1f} img/s, best {times[0] * 1e3:.1f} ms, "
          f"cpu {cpu * 1e3:.1f} ms/step, params={params}, blas {blas:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
