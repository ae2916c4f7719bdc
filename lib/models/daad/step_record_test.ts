import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../../tests/tf_helpers.ts";
import { DEFAULT_DAAD_CONFIG } from "./config.ts";
import { DaadModel } from "./kit_model.ts";
import { recordTrainingStep } from "./step_record.ts";

await useBackend("cpu");

Deno.test("recordTrainingStep() records the objective's loss, parts and gradients, leaking nothing", async () => {
  const config = {
    ...DEFAULT_DAAD_CONFIG,
    variant: "memae" as const,
    addressing: "memae" as const,
    size: 32,
    width: 2,
    memory: 5,
    division: null,
    channels: 1,
  };
  const a = new DaadModel(config, 4), b = new DaadModel(config, 4);
  const x = tf.randomUniform([2, 32, 32, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const r = recordTrainingStep(a, x);
  // The same step through the objective the trainer minimises, on a twin model.
  const vars = b.objectives[0].optimizer.variables;
  const { value, grads } = tf.variableGrads(() => b.objectives[0].loss(x).total, vars);
  assertEquals(r.loss, value.dataSync()[0]);
  assertEquals(Object.keys(r.parts).sort(), ["entropy", "rec"]);
  assertEquals(r.grads.size, vars.length);
  for (const v of vars) {
    assertEquals(Array.from(r.grads.get(b.params.nameOf(v))!.values), values(grads[v.name]));
  }
  assertEquals(r.reconstruction.shape, [2, 32, 32, 1]);
  assert(r.grads.get("mem4.items")!.values.some((g) => g !== 0));
  tf.dispose([value, ...Object.values(grads)]);
  await assertNoLeak("recordTrainingStep", () => recordTrainingStep(a, x));
  x.dispose();
  a.dispose();
  b.dispose();
});
