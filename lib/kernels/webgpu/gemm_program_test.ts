import { assertEquals, assertThrows } from "../../../tests/assert.ts";
import {
  checkTile,
  GemmProgram,
  LARGE_TILE_CANDIDATES,
  TILE_CANDIDATES,
  tileName,
} from "./gemm_program.ts";

Deno.test("checkTile() accepts every candidate and names what is wrong with a bad tile", () => {
  const all = [...TILE_CANDIDATES, ...LARGE_TILE_CANDIDATES];
  for (const t of all) checkTile(t);
  assertEquals(new Set(all.map(tileName)).size, all.length);
  const ok = { tm: 32, tn: 32, tk: 16, rm: 2, rn: 2, splits: 1 };
  assertThrows(() => checkTile({ ...ok, rm: 3 }), Error, "rm must divide tm");
  assertThrows(() => checkTile({ ...ok, rm: 1, rn: 1 }), Error, "1024 threads");
  assertThrows(() => checkTile({ ...ok, splits: 0 }), Error, "splits must be >= 1, got 0");
  assertThrows(() => checkTile({ ...ok, tk: 128 }), Error, "16 KiB");
});

Deno.test("GemmProgram() dispatches one workgroup per output tile and split", () => {
  const tile = { tm: 64, tn: 64, tk: 8, rm: 4, rn: 4, splits: 4 };
  const p = new GemmProgram({
    key: "test",
    variableNames: ["a", "b"],
    uniforms: "",
    readA: "return 0.0;",
    readB: "return 0.0;",
    batch: 2,
    m: 130,
    n: 64,
    k: 100,
    tile,
  });
  assertEquals(p.dispatch, [1, 3, 8]);
  assertEquals(p.workgroupSize, [16, 16, 1]);
  assertEquals(p.outputShape, [8, 130, 64]);
  // dimM, dimN, dimK, splits, kChunk (100 / 4 rounded up to whole K steps of 8),
  // rowGroups, rowTilesY.
  assertEquals(p.gemmUniforms, [130, 64, 100, 4, 32, 1, 3]);
  // Row tiles past the per-dimension limit fold into further z groups.
  const folded = new GemmProgram({ ...p.spec, maxRowTiles: 2 });
  assertEquals(folded.dispatch, [1, 2, 16]);
  assertEquals(folded.gemmUniforms.slice(5), [2, 2]);
});
