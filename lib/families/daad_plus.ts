/**
 * DAAD+ (`--model daad-plus`, paper §3.1.3-§3.3): a generator of the DAAD family with a
 * discriminator, the adversarial and alignment losses and the fused score of eq. 7
 * (`lib/models/daad_plus/`). Its flags are the DAAD family's (for the generator) and its
 * own: the generator, the Table 5 row and D's target for real images.
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./resolve.ts";
 * import { daadPlusConfigFor, type DaadPlusSettings } from "./daad_plus.ts";
 * import type { RunConfig } from "../config.ts";
 * const run = resolveRunConfig({ model: "daad-plus", table5: "adv+R" }) as RunConfig<
 *   DaadPlusSettings
 * >;
 * const c = daadPlusConfigFor(run, 1);
 * console.log(run.lr, c.alignment, c.adversarial); // 0.0002 false true
 * ```
 * @module
 */
import type { FlagSpec, RunConfig } from "../config.ts";
import { DAAD_VARIANTS, type DaadVariant } from "../models/daad/config.ts";
import {
  type DaadPlusConfig,
  DEFAULT_DAAD_PLUS_CONFIG,
  TABLE5_ABLATIONS,
  TABLE5_ROWS,
  type Table5Row,
  validateDaadPlusConfig,
} from "../models/daad_plus/config.ts";
import { DaadPlusModel } from "../models/daad_plus/kit_model.ts";
import { flagError } from "../config.ts";
import {
  checkDaadSettings,
  DAAD_FLAGS,
  daadConfigFor,
  daadDefaults,
  type DaadSettings,
  migrateDaadSettings,
} from "./daad.ts";
import { defineFamily, type ModelFamily } from "./family.ts";

/** DAAD+'s settings: its generator's (the DAAD family's) and its own. */
export type DaadPlusSettings = DaadSettings & {
  /** The generator (Table 5: ae, memae or daad); null = daad. */
  generator: DaadVariant | null;
  /** The loss and score terms as a row of Table 5; null = all on (adv+ali+L+R). */
  table5: Table5Row | null;
  /** D's target for real images (1 = eq. 5); null = 1. */
  realLabel: number | null;
};

/** DAAD+'s own flags (it takes {@linkcode DAAD_FLAGS} too). */
export const DAAD_PLUS_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze(
  {
    generator: {
      type: "enum",
      choices: DAAD_VARIANTS,
      help: "DAAD+'s generator, as in Table 5 (default daad).",
      foreign: { what: "is DAAD+'s" },
    },
    table5: {
      type: "enum",
      choices: TABLE5_ROWS,
      help:
        "DAAD+'s terms as a Table 5 row: R | adv+R | adv+ali+R | adv+ali+L | adv+ali+L+R (default).",
      foreign: { what: "selects DAAD+'s terms" },
    },
    "real-label": {
      type: "float",
      min: 0.5,
      exclusiveMin: true,
      help: "DAAD+: D's target for real images (1 = eq. 5; 0.9 = one-sided label smoothing).",
      foreign: { what: "is DAAD+'s", lacks: "no discriminator" },
    },
  } satisfies Record<string, FlagSpec>,
);

/** DAAD+ §4.1: lr 2e-4 with the adversarial losses, on every data set. */
export const DAAD_PLUS_LR = 2e-4;

/** The DAAD+ configuration of a run: its generator, the discriminator, the Table 5 terms. */
export function daadPlusConfigFor(
  run: RunConfig<DaadPlusSettings>,
  channels: number,
): DaadPlusConfig {
  const s = run.settings;
  return {
    ...DEFAULT_DAAD_PLUS_CONFIG,
    ...daadConfigFor({ ...run, model: s.generator ?? "daad" }, channels),
    discriminatorWidth: run.width,
    realLabel: s.realLabel ?? 1,
    ...TABLE5_ABLATIONS[s.table5 ?? "adv+ali+L+R"],
  };
}

/** DAAD+: the DAAD family's generators with a discriminator (paper §3.1.3, Table 5). */
export const daadPlusFamily: ModelFamily<DaadPlusSettings, DaadPlusConfig> = defineFamily({
  name: "daad-plus",
  title: "DAAD+",
  models: ["daad-plus"],
  flags: { ...DAAD_FLAGS, ...DAAD_PLUS_FLAGS },
  notes: "DAAD+ trains at lr 2e-4 (§4.1) on every data set, with --rec-loss l2 (eq. 4 and 6 " +
    "as per-image norms, docs/daad-plus.md); a memae generator is pixel-wise.",
  defaults: (_model, { data, synthetic, given }) => {
    const generator = (given.generator as DaadVariant | undefined) ?? "daad";
    return {
      settings: {
        ...daadDefaults(generator, data, synthetic),
        recLoss: "l2",
        generator: null,
        table5: null,
        realLabel: null,
      },
      run: { lr: DAAD_PLUS_LR },
    };
  },
  check: (run) => {
    const s = run.settings;
    const generator = s.generator ?? "daad";
    checkDaadSettings(
      s,
      generator,
      `--model daad-plus${s.generator != null ? ` --generator ${generator}` : ""}`,
    );
    if (s.realLabel != null && !(s.realLabel > 0.5 && s.realLabel <= 1)) {
      throw flagError("real-label", s.realLabel, "a target in (0.5, 1]");
    }
  },
  modelConfig: (run, sample) => daadPlusConfigFor(run, sample.channels),
  validateModelConfig: validateDaadPlusConfig,
  build: (config, run) => new DaadPlusModel(config, run.seed, { lr: run.lr }),
  migrate: migrateDaadSettings,
});
