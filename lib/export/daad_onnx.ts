/**
 * The DAAD family's network (`models/daad/model.ts`: AE, AE+Skip, MemAE*, DAAD) and its
 * score R(x) (`models/daad/score.ts`) as an ONNX graph, read top to bottom as the
 * network's forward pass is: four encoder stages (two ConvBNReLU, 2x max-pool) whose
 * pooled maps go through the block memory where the variant has one, the bottleneck,
 * three decoder levels (2x2 transposed conv, concatenation with the skip where the
 * variant has skips, two ConvBNReLU), the last transposed conv and the head. Every
 * value is NCHW; s is the input size and ch = stageChannels(width).
 * @module
 */
import type { DaadNetwork } from "../models/daad/model.ts";
import { hasSkips } from "../models/daad/config.ts";
import {
  blockMemory,
  conv,
  convBnRelu,
  convTranspose2x2,
  maxPool2x2,
  WeightReader,
} from "./layers_onnx.ts";
import type { OnnxGraph } from "./onnx_graph.ts";

/** The decoder levels k as `DaadNetwork` runs them (Table 2's dec_{k+1}). */
const DECODER_LEVELS = [3, 2, 1] as const;

/**
 * Adds the network's evaluation-mode forward pass on the NCHW image `x` [B, C, s, s] and
 * returns the reconstruction x̂ [B, C, s, s].
 */
export function daadReconstruction(g: OnnxGraph, network: DaadNetwork, x: string): string {
  const config = network.config;
  const weights = new WeightReader(network.params);
  // Encoder: f_k [B, ch[k-1], s/2^k, s/2^k]; the skip of scale k is the memory's read m_k
  // where scale k has a memory, else f_k itself.
  const skips: string[] = [];
  let f = x;
  for (let i = 0; i < 4; i++) {
    const c1 = convBnRelu(g, weights, f, `enc${i + 1}.1`);
    f = maxPool2x2(g, convBnRelu(g, weights, c1, `enc${i + 1}.2`), `enc${i + 1}.pool`);
    const memory = network.memories.get(i + 1);
    skips.push(
      memory == null ? f : blockMemory(g, weights, f, memory.name, memory.map, memory.config),
    );
  }
  // Bottleneck on the 16x scale after its memory: [B, ch[4], s/16, s/16].
  let y = convBnRelu(g, weights, convBnRelu(g, weights, skips[3], "bottleneck.1"), "bottleneck.2");
  // Level k: up to [B, ch[k], s/2^k, s/2^k], concat the scale-k skip along channels (after
  // the upsampled map, as the kit concatenates), two ConvBNReLU.
  for (const k of DECODER_LEVELS) {
    const up = convTranspose2x2(g, weights, y, `up${k + 1}`);
    const input = hasSkips(config.variant)
      ? g.op("Concat", [up, skips[k - 1]], { axis: { i: 1 } }, `dec${k + 1}.concat`)
      : up;
    y = convBnRelu(g, weights, convBnRelu(g, weights, input, `dec${k + 1}.1`), `dec${k + 1}.2`);
  }
  // up1 to [B, ch[0], s, s], the head's two ConvBNReLU and the 1x1 conv to C channels.
  const up = convTranspose2x2(g, weights, y, "up1");
  const h = convBnRelu(g, weights, convBnRelu(g, weights, up, "head.1"), "head.2");
  return conv(g, weights, h, "head.out");
}

/**
 * The error map and R(x) of `errorMap` and `reconstructionScore`: (x − x̂)² averaged over
 * channels, [B, s, s], and over channels and pixels, [B].
 */
export function reconstructionError(
  g: OnnxGraph,
  x: string,
  reconstruction: string,
): { map: string; score: string } {
  const d = g.op("Sub", [x, reconstruction]);
  const sq = g.op("Mul", [d, d], {}, "squared_error");
  return {
    map: g.op("ReduceMean", [sq], { axes: { ints: [1] }, keepdims: { i: 0 } }, "error_map"),
    score: g.op("ReduceMean", [sq], { axes: { ints: [1, 2, 3] }, keepdims: { i: 0 } }, "r_x"),
  };
}
