/**
 * One training step of a DAAD-family model, recorded for comparison with another
 * implementation (the PyTorch twin, `deno task twin`): the reconstruction of the
 * training-mode forward pass, the loss and its parts, and the gradient of the loss with
 * respect to every trainable variable. The optimiser is not applied; batch norm's
 * running statistics move as in a training step.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { DaadModel, DEFAULT_DAAD_CONFIG } from "./mod.ts";
 * import { recordTrainingStep } from "./step_record.ts";
 * const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, size: 32, width: 2, memory: 5,
 *   division: [2, 2, 1], channels: 1 }, 0);
 * const r = recordTrainingStep(model, tf.randomUniform([2, 32, 32, 1]) as tf.Tensor4D);
 * console.log(r.loss, Object.keys(r.parts), r.grads.size); // ... ["rec"] 66
 * model.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TensorData } from "../../nn/params.ts";
import type { DaadModel } from "./kit_model.ts";

/** What {@linkcode recordTrainingStep} returns (NHWC tensors, the store's names). */
export interface StepRecord {
  /** x̂ of the training-mode forward pass, [B, H, W, C]. */
  reconstruction: TensorData;
  /** The total loss the optimiser would minimise. */
  loss: number;
  /** Its logged parts (rec, entropy, commitment...). */
  parts: Record<string, number>;
  /** ∂loss/∂v for every trainable variable v, by its name in the model's store. */
  grads: Map<string, TensorData>;
}

const data = (t: tf.Tensor): TensorData => ({
  shape: [...t.shape],
  values: t.dataSync() as Float32Array,
});

/** Runs the loss and its gradients once on `batch` (see the module notes). */
export function recordTrainingStep(model: DaadModel, batch: tf.Tensor4D): StepRecord {
  const variables = model.objectives[0].optimizer.variables;
  let reconstruction: tf.Tensor | null = null;
  const parts: Record<string, tf.Tensor> = {};
  const { value, grads } = tf.variableGrads(() => {
    const { terms, output } = model.trainingLoss(batch);
    reconstruction = tf.keep(output.reconstruction.clone());
    for (const [k, v] of Object.entries(terms.parts)) parts[k] = tf.keep(v.clone());
    return terms.total;
  }, variables);
  try {
    const out = new Map<string, TensorData>();
    for (const v of variables) out.set(model.params.nameOf(v), data(grads[v.name]));
    return {
      reconstruction: data(reconstruction!),
      loss: value.dataSync()[0],
      parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.dataSync()[0]])),
      grads: out,
    };
  } finally {
    tf.dispose([value, reconstruction!, ...Object.values(grads), ...Object.values(parts)]);
  }
}
