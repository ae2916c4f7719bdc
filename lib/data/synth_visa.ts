/**
 * A small data set written in VisA's official layout (split file, JPEG images, PNG masks
 * holding region numbers), so that the VisA loader and the training task can be tested
 * and shown where VisA itself is not available. It is not VisA.
 * @module
 */
import { join } from "./_files.ts";
import { encodeJpeg, encodePng } from "./image_io.ts";
import { VISA_CSV_HEADER, VISA_SPLIT_CSV } from "./visa.ts";

/** Options of {@linkcode writeVisaFixture}. */
export interface VisaFixtureOptions {
  /** Folder to write (created). */
  out: string;
  /** Objects to write. Default ["candle", "pcb1"]. */
  objects?: string[];
  nTrain?: number;
  nTestNormal?: number;
  nTestAnomaly?: number;
  /** Image width; the height is 3/4 of it, as VisA's images are not square. Default 48. */
  width?: number;
}

/**
 * Writes a small data set in VisA's official layout (split file, JPEG images, PNG masks
 * holding region number 1 on a bright blob) for tests and demos. It is not VisA.
 *
 * @example
 * ```ts
 * import { loadVisaCategory } from "./visa.ts";
 * import { writeVisaFixture } from "./synth_visa.ts";
 * const out = await Deno.makeTempDir();
 * await writeVisaFixture({ out, objects: ["candle"], nTrain: 3, nTestNormal: 1, nTestAnomaly: 1 });
 * const { train, test } = await loadVisaCategory({ root: out, category: "candle", size: 16 });
 * console.log(train.n, test.n, Array.from(test.labels!)); // 3 2 [0, 1]
 * ```
 */
export async function writeVisaFixture(options: VisaFixtureOptions): Promise<void> {
  const {
    out,
    objects = ["candle", "pcb1"],
    nTrain = 6,
    nTestNormal = 3,
    nTestAnomaly = 3,
    width = 48,
  } = options;
  const height = Math.round(width * 3 / 4);
  const lines = [VISA_CSV_HEADER.join(",")];
  for (const [o, object] of objects.entries()) {
    const dir = join(out, object, "Data");
    await Deno.mkdir(join(dir, "Images", "Normal"), { recursive: true });
    await Deno.mkdir(join(dir, "Images", "Anomaly"), { recursive: true });
    await Deno.mkdir(join(dir, "Masks", "Anomaly"), { recursive: true });
    const picture = (k: number, anomalous: boolean) => {
      const rgb = new Uint8Array(width * height * 3);
      const mask = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const p = y * width + x;
          const v = 90 + 40 * Math.sin((x + 3 * k + 7 * o) / 4) + 30 * Math.cos(y / 5);
          const blob = anomalous && (x - width / 2) ** 2 + (y - height / 2) ** 2 < (width / 8) ** 2;
          mask[p] = blob ? 1 : 0;
          for (let c = 0; c < 3; c++) rgb[p * 3 + c] = blob ? 250 : Math.round(v + 20 * c);
        }
      }
      return { rgb, mask };
    };
    let k = 0;
    const normal = async (split: string, i: number) => {
      const rel = `${object}/Data/Images/Normal/${String(i).padStart(4, "0")}.JPG`;
      await Deno.writeFile(
        join(out, rel),
        await encodeJpeg(picture(k++, false).rgb, width, height, 3),
      );
      lines.push(`${object},${split},normal,${rel},`);
    };
    for (let i = 0; i < nTrain; i++) await normal("train", i);
    for (let i = 0; i < nTestNormal; i++) await normal("test", nTrain + i);
    for (let i = 0; i < nTestAnomaly; i++) {
      const name = String(i).padStart(3, "0");
      const rel = `${object}/Data/Images/Anomaly/${name}.JPG`;
      const maskRel = `${object}/Data/Masks/Anomaly/${name}.png`;
      const { rgb, mask } = picture(k++, true);
      await Deno.writeFile(join(out, rel), await encodeJpeg(rgb, width, height, 3));
      await Deno.writeFile(join(out, maskRel), await encodePng(mask, width, height, 1));
      lines.push(`${object},test,anomaly,${rel},${maskRel}`);
    }
  }
  await Deno.mkdir(join(out, "split_csv"), { recursive: true });
  await Deno.writeTextFile(join(out, VISA_SPLIT_CSV), lines.join("\n") + "\n");
}
