import { assertEquals, assertThrows } from "../tests/assert.ts";
import {
  camel,
  checkFlagValue,
  DATA_NAMES,
  DEFAULT_RUN_SETTINGS,
  describeFlagValue,
  type FlagSpec,
  PRESETS,
  RUN_FLAGS,
  RUN_SETTING_KEYS,
  validateRunSettings,
} from "./config.ts";
import { ConfigError } from "./util/errors.ts";

Deno.test("checkFlagValue() checks a value given in code as the flag's parser would", () => {
  const cases: [FlagSpec, unknown, boolean][] = [
    [{ type: "int", min: 1, help: "" }, 3, true],
    [{ type: "int", min: 1, help: "" }, 0, false],
    [{ type: "int", min: 1, help: "" }, 1.5, false],
    [{ type: "float", min: 0, exclusiveMin: true, help: "" }, 0, false],
    [{ type: "float", min: 0, help: "" }, 0, true],
    [{ type: "float", help: "" }, Infinity, false],
    [{ type: "enum", choices: ["a", "b"], help: "" }, "b", true],
    [{ type: "enum", choices: ["a", "b"], help: "" }, "c", false],
    [{ type: "ints", count: 3, help: "" }, [1, 2, 3], true],
    [{ type: "ints", count: 3, help: "" }, [1, 0, 3], false],
    [{ type: "ints", count: 3, help: "" }, [1, 2], false],
    [{ type: "bool", help: "" }, "yes", false],
    [{ type: "string", help: "" }, "", false],
    [{ type: "int-or-all", min: 0, max: 9, help: "" }, "all", true],
    [{ type: "int-or-all", min: 0, max: 9, help: "" }, 10, false],
    [{ type: "int", min: 1, help: "" }, null, true],
  ];
  for (const [spec, value, ok] of cases) {
    const check = () => checkFlagValue("x", spec, value);
    if (ok) check();
    else assertThrows(check, ConfigError, `--x expects ${describeFlagValue(spec)}`);
  }
  assertThrows(
    () => checkFlagValue("division", { type: "ints", count: 3, names: "RH,RW,RC", help: "" }, [8]),
    ConfigError,
    '--division expects three positive integers RH,RW,RC, got "8"',
  );
});

Deno.test("RUN_FLAGS are the settings every run has, and every data set has a preset", () => {
  assertEquals(camel("normal-test-dir"), "normalTestDir");
  for (const key of Object.keys(DEFAULT_RUN_SETTINGS)) {
    assertEquals(RUN_SETTING_KEYS.includes(key), true, key);
  }
  assertEquals(Object.keys(PRESETS).sort(), [...DATA_NAMES].sort());
  assertEquals(RUN_FLAGS.data.type === "enum" && RUN_FLAGS.data.choices, DATA_NAMES);
});

Deno.test("validateRunSettings() names the flag and the value", () => {
  const ok = { ...DEFAULT_RUN_SETTINGS, ...PRESETS.mnist };
  validateRunSettings(ok);
  assertThrows(
    () => validateRunSettings({ ...ok, size: 40 }),
    ConfigError,
    "--size expects a multiple of 16",
  );
  assertThrows(
    () => validateRunSettings({ ...ok, normal: 11 }),
    ConfigError,
    "--normal expects a class 0..9",
  );
  assertThrows(
    () => validateRunSettings({ ...ok, epochs: 0 }),
    ConfigError,
    "--epochs expects a positive integer, got 0",
  );
  assertThrows(
    () => validateRunSettings({ ...ok, task: "pred" }),
    ConfigError,
    "--task pred predicts video frames; it needs --data video, not --data mnist",
  );
});
