import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { formatGanEpoch, type GanEpoch, ganEpoch, ganWarning } from "./gan_monitor.ts";

const epoch = (n: number, real: number, fake: number, d = 0.5): GanEpoch =>
  ganEpoch(
    { epoch: n, losses: { "d.total": d, "d.acc_real": real, "d.acc_fake": fake } },
    Float32Array.of(0.1, 0.4, 0.3, 0.2),
    [0, 1, 1, 0],
  );

Deno.test("ganEpoch() takes D's epoch means and L(x)'s separation on the probe", () => {
  const e = epoch(3, 0.8, 0.7, 1.1);
  assertEquals([e.epoch, e.d_loss, e.d_acc_real, e.d_acc_fake], [3, 1.1, 0.8, 0.7]);
  // Normal L(x) 0.1, 0.2; anomalous 0.4, 0.3: every anomalous above every normal.
  assertEquals(e.ali_auroc, 1);
  assertAlmostEquals(e.ali_normal!, 0.15, 1e-6);
  assertAlmostEquals(e.ali_anomalous!, 0.35, 1e-6);
  // Three of the four (anomalous, normal) pairs ordered: AUROC 0.75 by hand.
  const mixed = ganEpoch({ epoch: 1, losses: {} }, Float32Array.of(1, 2, 3, 4), [0, 1, 0, 1]);
  assertEquals(mixed.ali_auroc, 0.75);
  assertEquals(mixed.d_loss, null);
  const oneClass = ganEpoch({ epoch: 1, losses: {} }, Float32Array.of(1, 2), [0, 0]);
  assertEquals(oneClass.ali_auroc, null);
  assertThrows(
    () => ganEpoch({ epoch: 1, losses: {} }, Float32Array.of(1), [0, 1]),
    Error,
    "1 L(x)",
  );
  assert(formatGanEpoch(e).includes("L(x) AUROC on the test probe 1.000"));
});

Deno.test("ganWarning() flags a discriminator that wins outright from early on", () => {
  const won = [epoch(1, 0.9, 0.9), epoch(2, 0.99, 1), epoch(3, 1, 1), epoch(4, 1, 0.99)];
  assert(ganWarning(won)!.includes("wins outright"));
  assert(ganWarning(won)!.includes("from epoch 2"));
  // Winning only at the end is a fight, not an outright win.
  const late = [epoch(1, 0.6, 0.6), epoch(2, 0.7, 0.6), epoch(3, 0.8, 0.9), epoch(4, 1, 1)];
  assertEquals(ganWarning(late), null);
  // One epoch is too little to tell.
  assertEquals(ganWarning([epoch(1, 1, 1)]), null);
});

Deno.test("ganWarning() flags a discriminator that calls every image the same", () => {
  const h = [epoch(1, 0.7, 0.6), epoch(2, 1, 0.01)];
  assert(ganWarning(h)!.includes("collapsed"));
  assert(ganWarning(h)!.includes("real"));
  assert(ganWarning([epoch(1, 0.02, 0.99)])!.includes("reconstructed"));
  assertEquals(ganWarning([epoch(1, 0.7, 0.6), epoch(2, 0.75, 0.7)]), null);
  const flat = ganEpoch({ epoch: 2, losses: {} }, Float32Array.of(0, 0), [0, 1]);
  assert(ganWarning([flat])!.includes("L(x) is zero"));
});
