/**
 * The direction of `lib/`'s imports (docs/architecture.md), checked on the source: every
 * import and re-export of every library file (tests aside) is read, resolved to a path
 * under `lib/`, and compared with the rules of its layer. A rule broken names the file,
 * the import and the rule, so a change that turns a dependency around fails here.
 * @module
 */
import { assert, assertEquals } from "./assert.ts";

const ROOT = new URL("../", import.meta.url);
const LIB = new URL("lib/", ROOT);

/** Source without comments; string and template contents are kept (imports live there). */
export function stripComments(src: string): string {
  let out = "";
  let i = 0;
  let quote: string | null = null;
  while (i < src.length) {
    const c = src[i], next = src[i + 1];
    if (quote != null) {
      out += c;
      if (c === "\\") {
        out += next ?? "";
        i += 2;
        continue;
      }
      if (c === quote) quote = null;
      i++;
      continue;
    }
    if (c === "/" && next === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      out += " ";
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    out += c;
    i++;
  }
  return out;
}

/** The module specifiers a file imports or re-exports (static and dynamic). */
export function importSpecifiers(src: string): string[] {
  const code = stripComments(src);
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^;"'`]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
  return found;
}

/** Library files (no tests), as paths relative to the repository root. */
async function libFiles(dir = LIB, prefix = "lib/"): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      if (e.name === "testdata") continue;
      files.push(...await libFiles(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    } else if (/\.(ts|mjs)$/.test(e.name) && !e.name.endsWith("_test.ts")) {
      files.push(`${prefix}${e.name}`);
    }
  }
  return files.sort();
}

/** Relative imports of `file`, resolved to repository-relative paths. */
async function localImports(file: string): Promise<string[]> {
  const src = await Deno.readTextFile(new URL(file, ROOT));
  return importSpecifiers(src)
    .filter((s) => s.startsWith("."))
    .map((s) => new URL(s, new URL(file, ROOT)).href.slice(ROOT.href.length));
}

interface Rule {
  /** The files the rule governs (path prefixes). */
  from: string[];
  /** What they may not import (path prefixes), and the exceptions. */
  not: string[];
  except?: string[];
  why: string;
}

const SWEEP = ["lib/sweep/", "lib/sweep.ts"];
const ABOVE_MODELS = [
  "lib/config.ts",
  "lib/families/",
  "lib/adapters.ts",
  "lib/run.ts",
  ...SWEEP,
  "lib/cli/",
];
/** What the run, sweeps and CLI may import of the families: the registry, not a family. */
const FAMILY_REGISTRY = [
  "lib/families/family.ts",
  "lib/families/registry.ts",
  "lib/families/resolve.ts",
];

/** The "done when" rules of the layering (docs/architecture.md). */
const RULES: Rule[] = [
  {
    from: ["lib/models/", "lib/memory/", "lib/nn/"],
    not: [...ABOVE_MODELS, "lib/data/"],
    except: ["lib/data/image_set.ts"],
    why: "models, memories and layers take their own typed options, not the run's",
  },
  {
    from: ["lib/data/"],
    not: ["lib/models/", "lib/memory/", "lib/nn/", ...ABOVE_MODELS],
    why: "data sets know nothing of the models or of the run configuration",
  },
  {
    from: ["lib/eval/", "lib/metrics/"],
    not: ["lib/run.ts", "lib/adapters.ts", "lib/families/", ...SWEEP, "lib/cli/"],
    why: "evaluation sits below the run that uses it",
  },
  {
    from: ["lib/config.ts"],
    not: ["lib/models/", "lib/memory/", "lib/families/"],
    why: "the run configuration holds the settings every run has; a model's are its family's",
  },
  {
    from: ["lib/adapters.ts"],
    not: ["lib/models/", "lib/memory/", "lib/families/"],
    why: "the data adapter knows no model; a run's model is built by its family",
  },
  {
    from: ["lib/families/"],
    not: ["lib/data/", "lib/eval/", "lib/viz/"],
    except: ["lib/data/image_set.ts"],
    why: "a family maps a run to its models; it knows no data set, evaluation or figure",
  },
  {
    from: ["lib/run.ts", ...SWEEP, "lib/cli/"],
    not: ["lib/families/"],
    except: FAMILY_REGISTRY,
    why:
      "the run, the sweeps and the CLI reach a model through the registry, never a family module",
  },
  {
    from: ["lib/metrics/", "lib/util/", "lib/nn/"],
    not: ["lib/train/", "lib/eval/", "lib/viz/", "lib/models/", "lib/data/"],
    except: ["lib/data/image_set.ts"],
    why: "the bottom layers import nothing above them",
  },
  {
    from: ["lib/export/web/"],
    not: [...ABOVE_MODELS, "lib/export/"],
    except: ["lib/export/web/", "lib/export/metadata.ts"],
    why: "the exported page is bundled for a browser: it reads no run, only models, eval and viz",
  },
  {
    from: ["lib/viz/"],
    not: ["lib/eval/", "lib/models/", ...ABOVE_MODELS],
    why: "figures take plain values; evaluation and runs draw them",
  },
];

const matches = (path: string, prefixes: readonly string[]) =>
  prefixes.some((p) => p.endsWith("/") ? path.startsWith(p) : path === p);

/**
 * The layers from the bottom up (docs/architecture.md): a file may import its own
 * folder (or top-level module) and any layer below its own, never one above or beside.
 */
const LAYERS: string[][] = [
  [
    "lib/util/",
    "lib/metrics/",
    "lib/kernels/",
    "lib/_wasm_heap.ts",
    "lib/_wasm_threads.ts",
    "lib/_wasm_pthread_worker.mjs",
  ],
  ["lib/nn/", "lib/backend.ts"],
  ["lib/data/", "lib/memory/"],
  ["lib/train/"],
  ["lib/models/", "lib/viz/"],
  ["lib/eval/", "lib/toy/"],
  ["lib/config.ts"],
  ["lib/families/", "lib/adapters.ts"],
  ["lib/run.ts", "lib/bench.ts"],
  ["lib/sweep/", "lib/export/"],
  ["lib/cli/"],
  ["lib/mod.ts"],
];

/** The layer of a library path and the unit (folder or top-level file) it belongs to. */
function layerOf(path: string): { layer: number; unit: string } | null {
  for (const [layer, units] of LAYERS.entries()) {
    for (const unit of units) {
      if (unit.endsWith("/") ? path.startsWith(unit) : path === unit) return { layer, unit };
    }
  }
  return null;
}

Deno.test("importSpecifiers() reads multi-line, type, re-export and dynamic imports, not comments", () => {
  const src = `/** @example
 * import { no } from "./in_doc.ts";
 */
import {
  a,
  type B,
} from "./multi.ts";
import type { C } from "../c.ts";
export { d } from "./d.ts";
export * from "./e.ts";
// import { f } from "./commented.ts";
const url = "https://example.org/x"; import "./side.ts";
const m = await import("./dynamic.ts");`;
  assertEquals(importSpecifiers(src).sort(), [
    "../c.ts",
    "./d.ts",
    "./dynamic.ts",
    "./e.ts",
    "./multi.ts",
    "./side.ts",
  ]);
});

Deno.test("lib/ imports follow the layering rules", async () => {
  const files = await libFiles();
  assert(files.length > 50, `found only ${files.length} library files`);
  const broken: string[] = [];
  for (const file of files) {
    const imports = await localImports(file);
    for (const rule of RULES) {
      if (!matches(file, rule.from)) continue;
      for (const target of imports) {
        if (matches(target, rule.not) && !matches(target, rule.except ?? [])) {
          broken.push(`${file} imports ${target}: ${rule.why}`);
        }
      }
    }
  }
  assertEquals(broken, []);
});

Deno.test("lib/ imports point down the layers", async () => {
  const broken: string[] = [];
  for (const file of await libFiles()) {
    const from = layerOf(file);
    if (from == null) {
      broken.push(`${file} belongs to no layer (add it to LAYERS and docs/architecture.md)`);
      continue;
    }
    for (const target of await localImports(file)) {
      if (!target.startsWith("lib/")) continue;
      const to = layerOf(target);
      if (to == null || to.unit === from.unit) continue;
      if (to.layer >= from.layer) {
        broken.push(`${file} (layer ${from.layer}) imports ${target} (layer ${to.layer})`);
      }
    }
  }
  assertEquals(broken, []);
});

Deno.test("every mod.ts holds docs and re-exports only", async () => {
  const mods = (await libFiles()).filter((f) => f.endsWith("/mod.ts"));
  assert(mods.includes("lib/mod.ts") && mods.includes("lib/models/mod.ts"));
  const broken: string[] = [];
  for (const file of mods) {
    const code = stripComments(await Deno.readTextFile(new URL(file, ROOT)));
    const statements = code.split(";").map((s) => s.trim()).filter((s) => s !== "");
    for (const s of statements) {
      const reexport =
        /^export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s*from\s*["'][^"']+["']$/
          .test(s);
      if (!reexport) broken.push(`${file}: ${s.split("\n")[0]}`);
    }
  }
  assertEquals(broken, []);
});

Deno.test("lib/ has no import cycle between folders' layers through mod.ts files", async () => {
  // A mod.ts imports only from its own folder or below it: a layer's public face must not
  // pull in another layer's index (which would drag that layer's whole surface in).
  const mods = (await libFiles()).filter((f) => f.endsWith("/mod.ts") && f !== "lib/mod.ts");
  const broken: string[] = [];
  for (const file of mods) {
    const folder = file.slice(0, file.lastIndexOf("/") + 1);
    for (const target of await localImports(file)) {
      if (!target.startsWith(folder)) broken.push(`${file} re-exports ${target}`);
    }
  }
  assertEquals(broken, []);
});

Deno.test("deno.json publishes every layer's mod.ts as a subpath", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const exports = config.exports as Record<string, string>;
  assertEquals(exports["."], "./lib/mod.ts");
  const published = new Set(Object.values(exports).map((p) => p.replace(/^\.\//, "")));
  for (const path of published) await Deno.stat(new URL(path, ROOT)); // each one exists
  const mods = (await libFiles()).filter((f) => f.endsWith("/mod.ts"));
  // Every top-level folder's index is published (nested ones, like models/daad, are not).
  const missing = mods.filter((f) => f.split("/").length === 3 && !published.has(f));
  assertEquals(missing, []);
});
