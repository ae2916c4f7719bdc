/**
 * `deno task bench`: not yet available in this version of the kit.
 * @module
 */
if (import.meta.main) {
  console.error("deno task bench is not yet available in this version of the kit");
  Deno.exit(1);
}
