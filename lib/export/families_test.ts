import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { useBackend } from "../../tests/tf_helpers.ts";
import { DEFAULT_DAAD_CONFIG } from "../models/daad/config.ts";
import { DaadModel } from "../models/daad/kit_model.ts";
import { ExportError } from "./errors.ts";
import { EXPORTABLE_MODELS, exportFamilyOf, refusalOf } from "./families.ts";

await useBackend("cpu");

Deno.test("refusalOf() refuses mnad in one line that says why, and accepts the DAAD family and DAAD+", () => {
  const why = refusalOf("mnad")!;
  assert(why.includes("test time") && !why.includes("\n"), why);
  assertEquals(EXPORTABLE_MODELS.map(refusalOf), EXPORTABLE_MODELS.map(() => null));
  assert(refusalOf("vae")!.includes("cannot be exported"));
});

Deno.test("exportFamilyOf() names the family of a model and refuses mnad", () => {
  const model = new DaadModel({
    ...DEFAULT_DAAD_CONFIG,
    variant: "ae",
    size: 16,
    width: 1,
    channels: 1,
  }, 0);
  try {
    assertEquals(exportFamilyOf("ae", model).family, "daad");
    assertThrows(() => exportFamilyOf("mnad", model), ExportError, "test time");
  } finally {
    model.dispose();
  }
});
