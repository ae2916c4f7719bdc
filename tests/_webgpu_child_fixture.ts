/**
 * Test bodies for `webgpu_child_test.ts`, which runs them with `runWebGpuChild()` (not a
 * test file itself: `deno test` does not collect it).
 * @module
 */
import { webgpuTest } from "./webgpu_child.ts";

webgpuTest(import.meta, {
  name: "passes",
  fn: () => console.log(`child pid ${Deno.pid}`),
});

webgpuTest(import.meta, {
  name: "fails",
  fn: () => {
    throw new Error("boom in the child");
  },
});

// What every WebGPU test does underneath: an adapter, a device, a buffer written by the
// GPU and read back. The adapter is there (the caller checked with webgpuProbe()).
webgpuTest(import.meta, {
  name: "uses a WebGPU device",
  fn: async () => {
    const adapter = await navigator.gpu.requestAdapter();
    if (adapter == null) throw new Error("no WebGPU adapter");
    const device = await adapter.requestDevice();
    const src = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.COPY_SRC,
      mappedAtCreation: true,
    });
    new Uint32Array(src.getMappedRange()).set([1, 2, 3, 4]);
    src.unmap();
    const dst = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, dst, 0, 16);
    device.queue.submit([enc.finish()]);
    await dst.mapAsync(GPUMapMode.READ);
    const got = [...new Uint32Array(dst.getMappedRange())];
    if (got.join() !== "1,2,3,4") throw new Error(`copied ${got}, want 1,2,3,4`);
    device.destroy();
  },
});
