import { assertEquals } from "../../../tests/assert.ts";
import { convFlops, daadFlops, daadLayers } from "./flops.ts";
import { DEFAULT_DAAD_CONFIG } from "./config.ts";

Deno.test("daadLayers() counts enc1.2 of the paper config by hand", () => {
  const enc12 = daadLayers(DEFAULT_DAAD_CONFIG).find((l) => l.name === "enc1.2")!;
  // 256·256 outputs x 64 channels, each 3·3·64 multiply-adds of 2 FLOPs.
  assertEquals(enc12.forward, 256 * 256 * 64 * (3 * 3 * 64) * 2);
  assertEquals(enc12.forward, 4_831_838_208);
  assertEquals(convFlops(1, 1, 1, 1, 1), 2);
});

Deno.test("daadLayers() counts the memory at 2x as two Q x N x D products", () => {
  const mem1 = daadLayers(DEFAULT_DAAD_CONFIG).find((l) => l.name === "mem1")!;
  // 128x128x64 map cut 8x8x1: 64 queries of 16·16·64 values, 500 items.
  assertEquals(mem1.forward, 2 * 2 * 64 * 500 * 16 * 16 * 64);
});

Deno.test("daadLayers() counts each scale's own blocks when scaleRates is set", () => {
  const c = { ...DEFAULT_DAAD_CONFIG, scaleRates: [1, 8, 8, 4] };
  const mem = (name: string) => daadLayers(c).find((l) => l.name === name)!;
  // 2x: 128x128x64 map as one query; 16x: 16x16x512 cut 4x4x1, 16 queries of 4·4·512.
  assertEquals(mem("mem1").forward, 2 * 2 * 1 * 500 * 128 * 128 * 64);
  assertEquals(mem("mem1").shape, "1 queries x 500 items x 1048576");
  assertEquals(mem("mem4").forward, 2 * 2 * 16 * 500 * 4 * 4 * 512);
});

Deno.test("daadFlops() counts a training step as three passes less the image's gradient", () => {
  const f = daadFlops(DEFAULT_DAAD_CONFIG);
  // 8 encoder, 4 memories, 2 bottleneck, 3 x (up + 2 decoder), up1, 3 head
  assertEquals(f.layers.length, 27);
  assertEquals(f.forwardPerImage, 88_204_115_968);
  assertEquals(f.trainStepPerImage, 3 * f.forwardPerImage - f.layers[0].forward);
  const ae = daadFlops({ ...DEFAULT_DAAD_CONFIG, variant: "ae" });
  assertEquals(ae.layers.some((l) => l.name.startsWith("mem")), false);
});

Deno.test("daadLayers() follows the bottleneck: the 16x stage's products by hand", () => {
  const c = { ...DEFAULT_DAAD_CONFIG, bottleneck: 64 };
  const layer = (name: string) => daadLayers(c).find((l) => l.name === name)!;
  // 256 px input: the 16x map is 16x16; ch3 = 8·64 = 512 channels in, 64 out.
  assertEquals(layer("bottleneck.1").forward, convFlops(16, 16, 512, 64, 3));
  assertEquals(layer("bottleneck.2").forward, 2 * 16 * 16 * 64 * 64 * 9);
  assertEquals(layer("up4").forward, 2 * 16 * 16 * 64 * 4 * 512);
  // Every other product is untouched.
  const base = daadLayers(DEFAULT_DAAD_CONFIG);
  const changed = daadLayers(c).filter((l, i) => l.forward !== base[i].forward).map((l) => l.name);
  assertEquals(changed, ["bottleneck.1", "bottleneck.2", "up4"]);
});
