/**
 * `deno task data`: data-set utilities.
 *
 * `deno task data synth --out DIR` writes the kit's synthetic stand-in in the MVTec AD
 * folder layout (textures and objects with scratches, stains and holes, and their
 * masks), which `deno task train --data mvtec --root DIR --category NAME` then reads
 * like MVTec AD. It is not MVTec AD, and its README.txt says so.
 *
 * @example
 * ```sh
 * deno run -A lib/cli/data.ts synth --out data/synth_mvtec --size 64 --seed 0
 * ```
 * @module
 */
import {
  SYNTH_CATEGORIES,
  SYNTH_CATEGORY_INFO,
  SYNTH_DEFECTS,
  writeSynthMvtec,
} from "../data/synth_mvtec.ts";
import { PHOTO_TEXTURES, SKIMAGE_DATA_DIR, writePhotoTextures } from "../data/photo_textures.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { runCli } from "./_common.ts";

/** The flags of `data synth`. */
export const DATA_FLAGS: Record<string, FlagSpec> = {
  out: { type: "string", help: "Output folder (new, empty, or a previous synth output)." },
  categories: {
    type: "string",
    help: `Comma-separated categories (default all: ${SYNTH_CATEGORIES.join(",")}).`,
  },
  size: { type: "int", min: 16, help: "Image side in pixels (default 64)." },
  "n-train": { type: "int", min: 1, help: "Training images per category (default 60)." },
  "n-test-good": { type: "int", min: 0, help: "Good test images per category (default 20)." },
  "n-test-defect": {
    type: "int",
    min: 0,
    help: "Test images per defect type and category (default 10).",
  },
  seed: { type: "int", min: 0, help: "Seed; a seed always writes the same bytes (default 0)." },
  from: {
    type: "string",
    help: `textures: folder of <texture>.png photographs (default ${SKIMAGE_DATA_DIR}).`,
  },
  textures: {
    type: "string",
    help: `textures: comma-separated photograph names (default ${PHOTO_TEXTURES.join(",")}).`,
  },
  crop: { type: "int", min: 16, help: "textures: crop side in photo pixels (default 128)." },
};

const USAGE = `Usage: deno task data synth|textures --out DIR [flags]

textures writes real photographed textures (Debian's python3-skimage: brick, grass,
        gravel) cut into crops, with drawn scratches, stains and holes and their masks,
        in the MVTec AD layout (train crops from the top 70% of each photo, test crops
        from the bottom 30%).

synth   writes a SYNTHETIC data set in the MVTec AD folder layout
        (<category>/train/good, test/<good|${
  SYNTH_DEFECTS.join("|")
}>, ground_truth/<type>/*_mask.png).
        It is a labelled stand-in for tests and demos, not MVTec AD.`;

const colour = (channels: number) => (channels === 1 ? "grey" : "RGB");

const NOTES = `Categories:
${
  SYNTH_CATEGORIES.map((c) =>
    `  ${c.padEnd(12)} ${SYNTH_CATEGORY_INFO[c].kind}, ${
      SYNTH_CATEGORY_INFO[c].channels
    } channel(s): ${SYNTH_CATEGORY_INFO[c].description}`
  ).join("\n")
}
A non-empty --out is refused unless it holds a previous synth output, which is replaced.
Train on it: deno task train --data mvtec --root DIR --category synth_pill --size 64`;

function parseCategories(raw: string | undefined): string[] | undefined {
  if (raw == null) return undefined;
  const list = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bad = list.find((c) => !(SYNTH_CATEGORIES as readonly string[]).includes(c));
  if (list.length === 0 || bad != null) {
    throw new ArgError(
      `--categories expects names from ${SYNTH_CATEGORIES.join(",")}, got '${bad ?? raw}'`,
    );
  }
  return list;
}

async function textures(flags: Record<string, unknown>): Promise<number> {
  const out = flags.out as string | undefined;
  if (out == null) throw new ArgError("textures needs --out DIR, the folder to write");
  const names = (flags.textures as string | undefined)?.split(",").map((t) => t.trim())
    .filter((t) => t !== "");
  const files = await writePhotoTextures({
    out,
    from: flags.from as string | undefined,
    textures: names,
    size: flags.size as number | undefined,
    crop: flags.crop as number | undefined,
    nTrain: flags.nTrain as number | undefined,
    nTestGood: flags.nTestGood as number | undefined,
    nTestDefect: flags.nTestDefect as number | undefined,
    seed: flags.seed as number | undefined,
  });
  console.log(
    `wrote ${files} files: photographed textures with drawn defects, MVTec AD layout, in ${out}`,
  );
  console.log(
    `train on it: deno task train --data mvtec --root ${out} --category all --size ${
      flags.size ?? 64
    }`,
  );
  return 0;
}

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, DATA_FLAGS);
  if (help) {
    console.log(formatHelp(USAGE, DATA_FLAGS, NOTES));
    return 0;
  }
  if (positionals.length === 0) {
    throw new ArgError("data needs a subcommand: synth or textures (see --help)");
  }
  if (positionals[0] !== "synth" && positionals[0] !== "textures") {
    throw new ArgError(`unknown subcommand '${positionals[0]}' (available: synth, textures)`);
  }
  if (positionals.length > 1) {
    throw new ArgError(
      `${positionals[0]} takes no further positional arguments, got '${positionals[1]}'`,
    );
  }
  if (positionals[0] === "textures") return await textures(flags);
  const f = flags as {
    out?: string;
    categories?: string;
    size?: number;
    nTrain?: number;
    nTestGood?: number;
    nTestDefect?: number;
    seed?: number;
  };
  if (f.out == null) throw new ArgError("synth needs --out DIR, the folder to write");
  const summary = await writeSynthMvtec({
    out: f.out,
    categories: parseCategories(f.categories),
    size: f.size,
    nTrain: f.nTrain,
    nTestGood: f.nTestGood,
    nTestDefect: f.nTestDefect,
    seed: f.seed,
  });
  if (summary.replaced) console.log(`replacing the previous synthetic set in ${f.out}`);
  console.log(
    `wrote a SYNTHETIC data set in the MVTec AD layout to ${f.out} ` +
      `(${summary.files} files; not MVTec AD, see ${f.out}/README.txt)`,
  );
  for (const c of summary.categories) {
    console.log(
      `  ${c.name.padEnd(12)} ${c.kind}, ${colour(c.channels)}: ${c.nTrain} train, ` +
        `${c.nTestGood} good + ${c.nTestDefect * SYNTH_DEFECTS.length} defective test ` +
        `(${SYNTH_DEFECTS.join(", ")})`,
    );
  }
  console.log(
    `train on it: deno task train --data mvtec --root ${f.out} --category ${
      summary.categories[0].name
    } --size ${f.size ?? 64}`,
  );
  return 0;
}

if (import.meta.main) await runCli(main);
