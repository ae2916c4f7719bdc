import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ArgError, type FlagSpec, parseArgs } from "./args.ts";

const SPECS: Record<string, FlagSpec> = {
  size: { type: "int", min: 16, help: "" },
  lr: { type: "float", min: 0, exclusiveMin: true, help: "" },
  division: { type: "ints", count: 3, help: "" },
  normal: { type: "int-or-all", min: 0, max: 9, help: "" },
  model: { type: "enum", choices: ["ae", "daad"], help: "" },
  resume: { type: "bool", help: "" },
  "max-test": { type: "int", min: 1, help: "" },
};

Deno.test("parseArgs() reads --flag value, --flag=value, booleans and positionals", () => {
  const r = parseArgs([
    "--size",
    "64",
    "--lr=1e-3",
    "--division",
    "4,4,2",
    "--resume",
    "--normal",
    "all",
    "a.png",
    "--max-test",
    "5",
  ], SPECS);
  assertEquals(r.flags, {
    size: 64,
    lr: 0.001,
    division: [4, 4, 2],
    resume: true,
    normal: "all",
    maxTest: 5,
  });
  assertEquals(r.positionals, ["a.png"]);
});

Deno.test("parseArgs() names the flag and the value in every error", () => {
  assertThrows(() => parseArgs(["--bogus", "1"], SPECS), ArgError, "unknown flag --bogus");
  assertThrows(
    () => parseArgs(["--size", "abc"], SPECS),
    ArgError,
    "--size expects an integer, got 'abc'",
  );
  assertThrows(
    () => parseArgs(["--size", "8"], SPECS),
    ArgError,
    "--size expects an integer >= 16, got '8'",
  );
  assertThrows(
    () => parseArgs(["--size", "-32"], SPECS),
    ArgError,
    "--size expects an integer >= 16, got '-32'",
  );
  assertThrows(
    () => parseArgs(["--lr", "0"], SPECS),
    ArgError,
    "--lr expects a number > 0, got '0'",
  );
  assertThrows(
    () => parseArgs(["--lr", "fast"], SPECS),
    ArgError,
    "--lr expects a number, got 'fast'",
  );
  assertThrows(
    () => parseArgs(["--division", "8,8"], SPECS),
    ArgError,
    "--division expects 3 positive integers",
  );
  assertThrows(() => parseArgs(["--division", "8,0,1"], SPECS), ArgError, "got '8,0,1'");
  assertThrows(
    () => parseArgs(["--normal", "11"], SPECS),
    ArgError,
    "--normal expects 0..9 or 'all', got '11'",
  );
  assertThrows(
    () => parseArgs(["--model", "vae"], SPECS),
    ArgError,
    "--model expects ae|daad, got 'vae'",
  );
  assertThrows(() => parseArgs(["--size"], SPECS), ArgError, "--size needs a value");
  assertThrows(() => parseArgs(["--size", "32", "--size", "64"], SPECS), ArgError, "given twice");
  assertThrows(() => parseArgs(["-x"], SPECS), ArgError, "unknown option '-x'");
});
