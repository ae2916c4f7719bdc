/**
 * `deno task nb`: not yet available in this version of the kit.
 * @module
 */
if (import.meta.main) {
  console.error("deno task nb is not yet available in this version of the kit");
  Deno.exit(1);
}
