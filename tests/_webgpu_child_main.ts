/**
 * The child process of `webgpuTest()` (see `webgpu_child.ts`): a module of its own,
 * so that the test file it imports can import `webgpu_child.ts`, already evaluated.
 * @module
 */
import { webgpuChildMain } from "./webgpu_child.ts";

await webgpuChildMain(Deno.args);
