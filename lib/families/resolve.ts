/**
 * A run's flags resolved into a {@linkcode RunConfig} through the registry: the defaults,
 * the data set's preset, the model family's defaults and the run settings it changes,
 * then the flags given. The way back, {@linkcode runConfigFlags}, is what config.json
 * records (flat, one key per flag), and {@linkcode runConfigFromSaved} reads such a
 * record again, also one written by an earlier version of the kit.
 *
 * @example
 * ```ts
 * import { resolveRunConfig, runConfigFlags } from "./resolve.ts";
 * const c = resolveRunConfig({ data: "mvtec", category: "bottle" });
 * console.log(c.size, c.width, c.settings.memory, c.settings.division); // 256 64 500 [8, 8, 1]
 * console.log(runConfigFlags(c).memory); // 500
 * ```
 * @module
 */
import {
  camel,
  checkFlagValue,
  type DataName,
  DEFAULT_RUN_SETTINGS,
  PRESETS,
  RUN_SETTING_KEYS,
  type RunConfig,
  type RunFlags,
  SYNTHETIC_VIDEO_PRESET,
  validateRunSettings,
} from "../config.ts";
import { ConfigError } from "../util/errors.ts";
import type { ModelFamily } from "./family.ts";
import { familiesWithSetting, familyOf } from "./registry.ts";

const RUN_KEYS = new Set(RUN_SETTING_KEYS);

/** The settings of a family by key (flag camelCase) with each key's flag. */
function settingFlags(family: ModelFamily): Map<string, string> {
  return new Map(Object.keys(family.flags).map((flag) => [camel(flag), flag]));
}

/** `scaleRates` -> `scale-rates`, for messages. */
function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The error for a setting given to a model whose family does not have it. */
function foreignSetting(key: string, model: string): ConfigError {
  const owners = familiesWithSetting(key);
  if (owners.length === 0) {
    return new ConfigError(
      `unknown setting '${key}': no run flag and no model family has --${kebab(key)}`,
    );
  }
  const flag = kebab(key);
  const spec = owners[0].flags[flag] ??
    Object.entries(owners[0].flags).find(([f]) => camel(f) === key)![1];
  const what = spec.foreign?.what ??
    `is a setting of ${owners.map((f) => `${f.title} (--model ${f.models.join("|")})`).join(", ")}`;
  return new ConfigError(
    `--${flag} ${what}; --model ${model} has ${spec.foreign?.lacks ?? "none"}`,
  );
}

/**
 * Checks a resolved configuration: the settings every run has, the model, its family's
 * settings (their flags' types and ranges, then the family's own rules). Throws
 * {@linkcode ConfigError} naming the flag and the value.
 */
export function validateRunConfig(c: RunConfig): void {
  const family = familyOf(c.model);
  validateRunSettings(c);
  if (c.task === "pred" && !family.predicts) {
    throw new ConfigError(
      `--task pred is future-frame prediction (MNAD's); --model ${c.model} reconstructs ` +
        `(--task recon)`,
    );
  }
  if (c.settings == null || typeof c.settings !== "object") {
    throw new ConfigError(`the configuration of --model ${c.model} has no family settings`);
  }
  const own = settingFlags(family);
  for (const [key, value] of Object.entries(c.settings)) {
    const flag = own.get(key);
    if (flag == null) {
      if (value != null) throw foreignSetting(key, c.model);
      continue;
    }
    checkFlagValue(flag, family.flags[flag], value);
  }
  family.check?.(c);
}

/**
 * Resolves a run configuration: defaults, then the dataset preset, then the model
 * family's defaults and the run settings it changes, then the flags given. A flag of
 * another family given a value is refused (null and undefined mean "not given"). A
 * `RunConfig` is taken as flags too: `resolveRunConfig({ ...config, epochs: 3 })`.
 */
export function resolveRunConfig(flags: RunFlags = {}): RunConfig {
  // A resolved configuration given as flags (`{ ...config, epochs: 3 }`): its family's
  // settings are flags too, and a flag given beside them wins.
  const { settings: nested, ...rest } = flags;
  const flat = nested != null && typeof nested === "object" ? { ...nested, ...rest } : flags;
  const given: RunFlags = Object.fromEntries(
    Object.entries(flat).filter(([, v]) => v !== undefined),
  );
  const data = (given.data ?? DEFAULT_RUN_SETTINGS.data) as DataName;
  const model = given.model ?? DEFAULT_RUN_SETTINGS.model;
  const family = familyOf(model);
  const own = settingFlags(family);
  const run: Record<string, unknown> = {};
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (RUN_KEYS.has(key)) run[key] = value;
    else if (own.has(key)) settings[key] = value;
    else if (value !== null) throw foreignSetting(key, model);
  }
  const synthetic = data === "video" && given.root == null;
  const defaults = family.defaults(model, { data, synthetic, given });
  const config = {
    ...DEFAULT_RUN_SETTINGS,
    ...(PRESETS[data] ?? {}),
    ...(synthetic ? SYNTHETIC_VIDEO_PRESET : {}),
    ...defaults.run,
    ...run,
    model,
    settings: { ...defaults.settings, ...settings },
  } as RunConfig;
  validateRunConfig(config);
  return config;
}

/**
 * A configuration as flags (camelCase keys, the family's settings beside the others):
 * what config.json's `config`, sweep.json and checkpoints record, and what
 * {@linkcode resolveRunConfig} turns back into the same configuration.
 */
export function runConfigFlags(c: RunConfig): RunFlags {
  const { settings, ...run } = c;
  return { ...run, ...settings };
}

/** A configuration with some of its family's settings changed (checked). */
export function withSettings(c: RunConfig, settings: Record<string, unknown>): RunConfig {
  return resolveRunConfig({ ...runConfigFlags(c), ...settings });
}

/**
 * A configuration recorded as flags (config.json's `config`, sweep.json's), also by an
 * earlier version of the kit: the family fills in settings the recording version did not
 * have, as it ran them (`migrate`); settings of other families, which earlier versions
 * recorded as unused defaults beside every run's, are dropped; the rest is resolved.
 */
export function runConfigFromSaved(saved: Record<string, unknown>): RunConfig {
  const model = typeof saved.model === "string" ? saved.model : DEFAULT_RUN_SETTINGS.model;
  const family = familyOf(model);
  const migrated = family.migrate?.(saved) ?? saved;
  const own = settingFlags(family);
  const kept = Object.fromEntries(
    Object.entries(migrated).filter(([k]) => RUN_KEYS.has(k) || own.has(k)),
  );
  return resolveRunConfig(kept as RunFlags);
}
