/**
 * `deno task eval`: not yet available in this version of the kit.
 * @module
 */
if (import.meta.main) {
  console.error("deno task eval is not yet available in this version of the kit");
  Deno.exit(1);
}
