/**
 * The kit's `train`, `eval` and `predict` tasks with the toy family registered: the one
 * line a new family adds (here, `registerFamily`) and nothing else. Usage:
 * `deno run -A cli.ts <train|eval|predict> [flags...]`.
 * @module
 */
import { registerFamily } from "../../../lib/families/registry.ts";
import { runCli } from "../../../lib/cli/_common.ts";
import { main as train } from "../../../lib/cli/train.ts";
import { main as evaluate } from "../../../lib/cli/eval.ts";
import { main as predict } from "../../../lib/cli/predict.ts";
import { toyAeFamily } from "./toy_ae.ts";

registerFamily(toyAeFamily);

const [task, ...args] = Deno.args;
const tasks: Record<string, (args: string[]) => Promise<number>> = {
  train,
  eval: evaluate,
  predict,
};
if (tasks[task] == null) {
  console.error(`usage: cli.ts <train|eval|predict> [flags...], got '${task}'`);
  Deno.exit(2);
}
await runCli(() => tasks[task](args));
