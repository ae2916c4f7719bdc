/**
 * Floating-point operations of the DAAD network, counted exactly from its layer shapes
 * (a multiply-add is 2 FLOPs). Only the products are counted: convolutions, transposed
 * convolutions and the memory's matmuls. Batch norm, ReLU, pooling, the loss and Adam
 * add O(activations) work that moves memory rather than computing (under 1% of the
 * FLOPs here) and are left out.
 *
 * A training step runs each product three times: forward, input gradient and weight
 * gradient, except that the first convolution needs no input gradient (the image is
 * not trained).
 *
 * @example
 * ```ts
 * import { DEFAULT_DAAD_CONFIG } from "./config.ts";
 * import { daadFlops } from "./flops.ts";
 * const f = daadFlops(DEFAULT_DAAD_CONFIG);
 * console.log((f.trainStepPerImage / 1e9).toFixed(1), "GFLOP per image per step");
 * ```
 * @module
 */
import {
  type DaadConfig,
  effectiveDivision,
  hasSkips,
  memoryScales,
  stageChannels,
} from "./config.ts";

/** One product of the network and its forward FLOPs for one image. */
export interface LayerFlops {
  name: string;
  /** e.g. "conv3x3 256x256 3->64". */
  shape: string;
  forward: number;
}

/** FLOPs of a k x k 'same' convolution producing an h x w x cout map from cin channels. */
export function convFlops(h: number, w: number, cin: number, cout: number, k: number): number {
  return 2 * h * w * cin * cout * k * k;
}

/** The products of one forward pass of `config` on one image, in network order. */
export function daadLayers(config: DaadConfig): LayerFlops[] {
  const ch = stageChannels(config.width, config.bottleneck);
  const s = config.size;
  const layers: LayerFlops[] = [];
  const conv = (name: string, side: number, cin: number, cout: number, k = 3) =>
    layers.push({
      name,
      shape: `conv${k}x${k} ${side}x${side} ${cin}->${cout}`,
      forward: convFlops(side, side, cin, cout, k),
    });
  let cin = config.channels;
  for (let i = 0; i < 4; i++) {
    const side = s / 2 ** i;
    conv(`enc${i + 1}.1`, side, cin, ch[i]);
    conv(`enc${i + 1}.2`, side, ch[i], ch[i]);
    cin = ch[i];
  }
  for (const scale of memoryScales(config.variant)) {
    const [rh, rw, rc] = effectiveDivision(config, scale);
    const side = s / 2 ** scale, c = ch[scale - 1];
    const queries = rh * rw * rc, d = (side / rh) * (side / rw) * (c / rc);
    // Similarity Q·Mᵀ and read W·M: each 2·Q·N·D.
    layers.push({
      name: `mem${scale}`,
      shape: `${queries} queries x ${config.memory} items x ${d}`,
      forward: 2 * (2 * queries * config.memory * d),
    });
  }
  conv("bottleneck.1", s / 16, ch[3], ch[4]);
  conv("bottleneck.2", s / 16, ch[4], ch[4]);
  const skips = hasSkips(config.variant);
  const up = (name: string, side: number, cin: number, cout: number) =>
    layers.push({
      name,
      shape: `convT2x2 ${side}x${side} ${cin}->${cout}`,
      forward: 2 * side * side * cin * 4 * cout,
    });
  for (const k of [3, 2, 1]) {
    const side = s / 2 ** k; // after the up-sampling
    up(`up${k + 1}`, side / 2, ch[k + 1], ch[k]);
    conv(`dec${k + 1}.1`, side, skips ? ch[k] + ch[k - 1] : ch[k], ch[k]);
    conv(`dec${k + 1}.2`, side, ch[k], ch[k]);
  }
  up("up1", s / 2, ch[1], ch[0]);
  conv("head.1", s, ch[0], ch[0]);
  conv("head.2", s, ch[0], ch[0]);
  conv("head.out", s, ch[0], config.channels, 1);
  return layers;
}

/** Forward and training-step FLOPs of `config` per image. */
export interface DaadFlops {
  layers: LayerFlops[];
  forwardPerImage: number;
  /** Forward + input gradients (all but the first layer's) + weight gradients. */
  trainStepPerImage: number;
}

/** FLOPs of the DAAD network `config` (see the module notes for what is counted). */
export function daadFlops(config: DaadConfig): DaadFlops {
  const layers = daadLayers(config);
  const forward = layers.reduce((a, l) => a + l.forward, 0);
  return {
    layers,
    forwardPerImage: forward,
    trainStepPerImage: 3 * forward - layers[0].forward,
  };
}
