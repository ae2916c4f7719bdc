/**
 * Numbers quoted from the papers, for side-by-side comparison in notebooks and reports.
 * They are the papers' results on the real datasets, never the kit's; every table names
 * its source.
 * @module
 */

/** A quoted table: a source, columns, and rows of numbers (null where the paper has none). */
export interface PaperTable {
  source: string;
  columns: string[];
  rows: { name: string; values: (number | null)[] }[];
}

export { MVTEC_CATEGORIES } from "../data/mvtec.ts";

/** DAAD paper (ICCV 2021), Table 3: image AUROC on MVTec AD per category. */
export const DAAD_TABLE3: PaperTable = {
  source:
    "DAAD (ICCV 2021), Table 3: image-level AUROC on MVTec AD (* = the authors' reproduction)",
  columns: ["AE", "MemAE*", "AE+Skip", "DAAD", "DAAD+"],
  rows: [
    ["carpet", 0.411, 0.454, 0.385, 0.671, 0.866],
    ["grid", 0.841, 0.946, 0.879, 0.975, 0.957],
    ["leather", 0.615, 0.611, 0.570, 0.628, 0.862],
    ["tile", 0.696, 0.630, 0.986, 0.825, 0.882],
    ["wood", 0.961, 0.967, 0.977, 0.957, 0.982],
    ["bottle", 0.955, 0.954, 0.713, 0.975, 0.976],
    ["cable", 0.688, 0.694, 0.579, 0.720, 0.844],
    ["capsule", 0.819, 0.831, 0.747, 0.866, 0.767],
    ["hazelnut", 0.884, 0.891, 0.828, 0.893, 0.921],
    ["metal_nut", 0.565, 0.537, 0.336, 0.552, 0.758],
    ["pill", 0.882, 0.883, 0.853, 0.898, 0.900],
    ["screw", 0.956, 0.992, 1.000, 1.000, 0.987],
    ["toothbrush", 0.977, 0.972, 0.742, 0.989, 0.992],
    ["transistor", 0.776, 0.793, 0.749, 0.814, 0.876],
    ["zipper", 0.878, 0.871, 0.696, 0.906, 0.859],
    ["mean", 0.794, 0.802, 0.736, 0.845, 0.895],
  ].map(([name, ...values]) => ({ name: name as string, values: values as number[] })),
};

/** DAAD paper, Table 2: mean AUROC of one-class MNIST and CIFAR-10 (the paper's method). */
export const DAAD_TABLE2: PaperTable = {
  source: "DAAD (ICCV 2021), Table 2: one-class AUROC (OCGAN protocol), mean over the ten classes",
  columns: ["MNIST", "CIFAR10"],
  rows: [
    { name: "VAE", values: [0.877, 0.581] },
    { name: "GANomaly", values: [0.928, 0.695] },
    { name: "OCGAN", values: [0.975, 0.656] },
    { name: "MemAE", values: [0.975, 0.609] },
    { name: "DAAD (Ours)", values: [0.990, 0.753] },
  ],
};

/** DAAD Table 2's means for the kit's model names (the paper has no plain AE row). */
export function table2Quotes(data: "mnist" | "cifar10"): Record<string, number> {
  const col = DAAD_TABLE2.columns.indexOf(data === "mnist" ? "MNIST" : "CIFAR10");
  const value = (name: string) => DAAD_TABLE2.rows.find((r) => r.name === name)!.values[col]!;
  return { memae: value("MemAE"), daad: value("DAAD (Ours)") };
}

/** DAAD paper, Table 4: image AUROC on MVTec AD by division rate rh = rw. */
export const DAAD_TABLE4: PaperTable = {
  source:
    "DAAD (ICCV 2021), Table 4: mean image AUROC on MVTec AD by division rate rh = rw (rc = 1)",
  columns: ["1", "2", "4", "8", "16"],
  rows: [{ name: "DAAD", values: [0.716, 0.784, 0.821, 0.845, 0.813] }],
};

/**
 * DAAD paper, Table 5: the adversarially learned representation on MVTec AD, five rows
 * per generator. Rows are named "<generator> <--table5 row>": which of L_adv and L_ali
 * train, and which of L(x) and R(x) score ("DAAD adv+ali+L+R" is DAAD+).
 */
export const DAAD_TABLE5: PaperTable = {
  source: "DAAD (ICCV 2021), Table 5: mean image AUROC on MVTec AD by generator and terms " +
    "(L_adv, L_ali in training; L(x), R(x) in the score)",
  columns: ["L_adv", "L_ali", "L(x)", "R(x)", "AUROC"],
  rows: ([
    ["AE", 0.794, 0.812, 0.817, 0.819, 0.835],
    ["MemAE*", 0.802, 0.825, 0.835, 0.841, 0.853],
    ["DAAD", 0.845, 0.847, 0.855, 0.874, 0.895],
  ] as const).flatMap(([generator, ...aurocs]) =>
    ([
      ["R", [0, 0, 0, 1]],
      ["adv+R", [1, 0, 0, 1]],
      ["adv+ali+R", [1, 1, 0, 1]],
      ["adv+ali+L", [1, 1, 1, 0]],
      ["adv+ali+L+R", [1, 1, 1, 1]],
    ] as const).map(([row, terms], k) => ({
      name: `${generator} ${row}`,
      values: [...terms, aurocs[k]],
    }))
  ),
};

/** DAAD supplement, Table 1: frame AUROC on video datasets. */
export const DAAD_SUPP_TABLE1: PaperTable = {
  source: "DAAD supplement, Table 1: frame-level AUROC on UCSD Ped2 and CUHK Avenue",
  columns: ["UCSD-Ped2", "Avenue"],
  rows: [
    { name: "MemAE", values: [0.941, 0.833] },
    { name: "MNAD", values: [0.902, 0.828] },
    { name: "AE", values: [0.901, 0.805] },
    { name: "DAAD (Ours)", values: [0.941, 0.829] },
  ],
};

/** The quoted value of `column` for `row`, or null. */
export function paperValue(table: PaperTable, row: string, column: string): number | null {
  const c = table.columns.indexOf(column);
  const r = table.rows.find((x) => x.name.toLowerCase() === row.toLowerCase());
  return c < 0 || r == null ? null : r.values[c];
}

/**
 * The paper's Table 4 AUROC (DAAD on MVTec AD, quoted in {@linkcode DAAD_TABLE4}) for a
 * division rate, or null when the table has no such rate.
 *
 * @example
 * ```ts
 * import { paperTable4Auroc } from "./paper_tables.ts";
 * console.log(paperTable4Auroc(1), paperTable4Auroc(32)); // 0.716 null
 * ```
 */
export function paperTable4Auroc(rate: number): number | null {
  return paperValue(DAAD_TABLE4, "DAAD", String(rate));
}
