/**
 * A synthetic video anomaly-detection dataset of moving shapes, written in the layout
 * {@linkcode loadVideoDataset} reads, for tests and for the kit's default `--data video`
 * run (real video datasets cannot be downloaded everywhere the kit runs).
 *
 * Every video shows two horizontal lanes on a dark background with a lane line between
 * them. Normal behaviour: lane 0 carries a circle moving right, lane 1 a square moving
 * left, each at a steady speed (the same in every video up to ±10%), wrapping around
 * the frame's edges (a shape leaving on one side is already entering on the other, so
 * every frame shows both); start positions differ per video. Each test video has one
 * anomalous span of frames in one lane, of one kind (cycling over the test videos):
 * - `shape`: a cross instead of the lane's shape (visible in single frames);
 * - `direction`: the shape moves backwards (invisible in a single frame: only motion
 *   tells, which the `pred` task sees and `recon` cannot);
 * - `speed`: the shape moves three times faster (likewise a motion anomaly).
 * A frame is anomalous when the motion into it, or its appearance, is abnormal.
 *
 * Written under `<root>/<dataset>/`: `training/frames/<video>/<frame>.png`,
 * `testing/frames/<video>/<frame>.png` (8-bit grey PNG; videos `01`, `02`...; frames
 * `000.png`...), `labels.json` (`{"<video>": [0/1 per frame]}`, the format of
 * `lib/data/video.ts`) and `synth.json` (the options and the anomalous spans). All
 * randomness comes from `seed`: the same options write the same bytes.
 *
 * @example
 * ```ts
 * import { writeSynthVideo } from "./synth_video.ts";
 * const s = await writeSynthVideo({ root: await Deno.makeTempDir() });
 * console.log(s.anomalies.map((a) => a.kind)); // ["shape", "direction", "speed", "shape"]
 * ```
 * @module
 */
import { Rng } from "../util/rng.ts";
import { DatasetError } from "./errors.ts";
import { encodePng } from "./image_io.ts";

/** The kinds of anomalous span. */
export type SynthAnomalyKind = "shape" | "direction" | "speed";

/** The kinds, in the order test videos cycle through them. */
export const SYNTH_ANOMALY_KINDS: readonly SynthAnomalyKind[] = ["shape", "direction", "speed"];

/** Options of {@linkcode writeSynthVideo}. */
export interface SynthVideoOptions {
  /** Folder the dataset folder is written into. */
  root: string;
  /** Dataset folder name. Default `synth`. */
  dataset?: string;
  /** Frame side in pixels. Default 64. */
  size?: number;
  /** Training videos (normal only). Default 4. */
  trainVideos?: number;
  /** Test videos (one anomalous span each). Default 4. */
  testVideos?: number;
  /** Frames per video. Default 40. */
  frames?: number;
  /** Seed of every random choice. Default 0. */
  seed?: number;
}

/** One anomalous span: frames `start` to `end - 1` of test video `video`. */
export interface SynthAnomaly {
  video: string;
  kind: SynthAnomalyKind;
  lane: number;
  start: number;
  /** Exclusive. */
  end: number;
}

/** What {@linkcode writeSynthVideo} wrote. */
export interface SynthVideoSummary {
  /** `<root>/<dataset>`. */
  path: string;
  options: Required<SynthVideoOptions>;
  trainFrames: number;
  testFrames: number;
  anomalies: SynthAnomaly[];
  /** Frame labels per test video (what labels.json holds). */
  labels: Record<string, number[]>;
}

/** The defaults of {@linkcode SynthVideoOptions} (small: the whole set is ~320 PNGs). */
export const DEFAULT_SYNTH_VIDEO_OPTIONS: Readonly<Omit<Required<SynthVideoOptions>, "root">> =
  Object.freeze({
    dataset: "synth",
    size: 64,
    trainVideos: 4,
    testVideos: 4,
    frames: 40,
    seed: 0,
  });

const BACKGROUND = 0.15, LANE_LINE = 0.4, NOISE = 0.01;
const LANE_COLOUR = [0.9, 0.7];

/** Signed distance (pixels) of a point to a shape centred at the origin of half-size h. */
function sdf(kind: "circle" | "square" | "cross", dx: number, dy: number, h: number): number {
  switch (kind) {
    case "circle":
      return Math.hypot(dx, dy) - h;
    case "square":
      return Math.max(Math.abs(dx), Math.abs(dy)) - h;
    case "cross": {
      const ax = Math.abs(dx), ay = Math.abs(dy), t = h / 3;
      return Math.min(Math.max(ax - h, ay - t), Math.max(ax - t, ay - h));
    }
  }
}

/** Motion and appearance of one lane in one video, frame by frame. */
interface LaneTrack {
  x: number[];
  shape: ("circle" | "square" | "cross")[];
}

function laneTracks(
  rng: Rng,
  size: number,
  frames: number,
  anomaly: SynthAnomaly | null,
): LaneTrack[] {
  const tracks: LaneTrack[] = [];
  for (let lane = 0; lane < 2; lane++) {
    const dir = lane === 0 ? 1 : -1;
    const speed = (size / (lane === 0 ? 32 : 24)) * rng.uniform(0.9, 1.1);
    let pos = rng.uniform(0, size);
    const x: number[] = [], shape: LaneTrack["shape"] = [];
    for (let t = 0; t < frames; t++) {
      const inSpan = anomaly != null && anomaly.lane === lane && t >= anomaly.start &&
        t < anomaly.end;
      // v_t moves the shape from frame t-1 to frame t, so the first anomalous frame is
      // already displaced abnormally.
      let v = dir * speed;
      if (inSpan && anomaly!.kind === "direction") v = -v;
      if (inSpan && anomaly!.kind === "speed") v *= 3;
      if (t > 0) pos += v;
      x.push(((pos % size) + size) % size);
      shape.push(inSpan && anomaly!.kind === "shape" ? "cross" : lane === 0 ? "circle" : "square");
    }
    tracks.push({ x, shape });
  }
  return tracks;
}

/** Renders one frame as 8-bit grey pixels. */
function renderFrame(rng: Rng, size: number, tracks: LaneTrack[], t: number): Uint8Array {
  const half = size / 10;
  const laneY = [size * 0.3, size * 0.72];
  const lineY = size * 0.5;
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Pixel centres at +0.5; coverage from the signed distance gives anti-aliased edges.
      const px = x + 0.5, py = y + 0.5;
      let v = BACKGROUND + (LANE_LINE - BACKGROUND) * Math.max(0, 1 - Math.abs(py - lineY));
      for (let lane = 0; lane < 2; lane++) {
        // The lanes wrap around (a torus): a shape leaving one side enters the other, so
        // every frame shows both shapes and every anomalous frame shows its anomaly.
        const dx = ((((px - tracks[lane].x[t]) % size) + 1.5 * size) % size) - size / 2;
        const d = sdf(tracks[lane].shape[t], dx, py - laneY[lane], half);
        const cover = Math.min(1, Math.max(0, 0.5 - d));
        v = v * (1 - cover) + LANE_COLOUR[lane] * cover;
      }
      v += rng.normal(0, NOISE);
      out[y * size + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return out;
}

async function writePng(path: string, pixels: Uint8Array, size: number): Promise<void> {
  await Deno.writeFile(path, await encodePng(pixels, size, size, 1));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function checkOptions(o: Required<SynthVideoOptions>): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new DatasetError(`synthetic video ${name} must be an integer >= ${min}, got ${v}`);
    }
  };
  int("size", o.size, 16);
  int("trainVideos", o.trainVideos, 1);
  int("testVideos", o.testVideos, 1);
  // An anomalous span of 8+ frames after 8 normal ones, and normal frames after it.
  int("frames", o.frames, 24);
  if (!Number.isInteger(o.seed)) throw new DatasetError(`seed must be an integer, got ${o.seed}`);
  if (o.dataset.length === 0 || /[/\\]/.test(o.dataset)) {
    throw new DatasetError(`dataset name must be a plain folder name, got '${o.dataset}'`);
  }
}

/**
 * Writes the synthetic dataset (overwriting the frames of an earlier one with the same
 * names) and returns what it wrote.
 */
export async function writeSynthVideo(options: SynthVideoOptions): Promise<SynthVideoSummary> {
  const o: Required<SynthVideoOptions> = { ...DEFAULT_SYNTH_VIDEO_OPTIONS, ...options };
  checkOptions(o);
  const path = `${o.root.replace(/\/+$/, "")}/${o.dataset}`;
  const rng = new Rng(o.seed);
  const frameDigits = Math.max(3, String(o.frames - 1).length);
  const videoName = (i: number, n: number) => pad(i + 1, Math.max(2, String(n).length));

  const anomalies: SynthAnomaly[] = [];
  const labels: Record<string, number[]> = {};
  const writeVideo = async (dir: string, anomaly: SynthAnomaly | null) => {
    await Deno.mkdir(dir, { recursive: true });
    const tracks = laneTracks(rng, o.size, o.frames, anomaly);
    for (let t = 0; t < o.frames; t++) {
      await writePng(
        `${dir}/${pad(t, frameDigits)}.png`,
        renderFrame(rng, o.size, tracks, t),
        o.size,
      );
    }
  };
  for (let i = 0; i < o.trainVideos; i++) {
    await writeVideo(`${path}/training/frames/${videoName(i, o.trainVideos)}`, null);
  }
  for (let i = 0; i < o.testVideos; i++) {
    const video = videoName(i, o.testVideos);
    const length = Math.min(8 + rng.int(5), o.frames - 16);
    const start = 8 + rng.int(o.frames - 8 - length - 8 + 1);
    const anomaly: SynthAnomaly = {
      video,
      kind: SYNTH_ANOMALY_KINDS[i % SYNTH_ANOMALY_KINDS.length],
      lane: rng.int(2),
      start,
      end: start + length,
    };
    anomalies.push(anomaly);
    labels[video] = Array.from(
      { length: o.frames },
      (_, t) => (t >= start && t < start + length ? 1 : 0),
    );
    await writeVideo(`${path}/testing/frames/${video}`, anomaly);
  }
  await Deno.writeTextFile(`${path}/labels.json`, JSON.stringify(labels) + "\n");
  const { root: _root, ...recorded } = o;
  await Deno.writeTextFile(
    `${path}/synth.json`,
    JSON.stringify(
      { generator: "daad-kit synth_video v1", options: recorded, anomalies },
      null,
      2,
    ) +
      "\n",
  );
  return {
    path,
    options: o,
    trainFrames: o.trainVideos * o.frames,
    testFrames: o.testVideos * o.frames,
    anomalies,
    labels,
  };
}

/**
 * Writes the dataset unless `<root>/<dataset>/synth.json` shows the same options were
 * already written there; returns the summary either way. For the default `--data video`
 * run, which should not rewrite its frames on every start.
 */
export async function ensureSynthVideo(options: SynthVideoOptions): Promise<SynthVideoSummary> {
  const o: Required<SynthVideoOptions> = { ...DEFAULT_SYNTH_VIDEO_OPTIONS, ...options };
  checkOptions(o);
  const path = `${o.root.replace(/\/+$/, "")}/${o.dataset}`;
  const { root: _root, ...recorded } = o;
  try {
    const saved = JSON.parse(await Deno.readTextFile(`${path}/synth.json`));
    if (JSON.stringify(saved.options) === JSON.stringify(recorded)) {
      const labels = JSON.parse(await Deno.readTextFile(`${path}/labels.json`));
      return {
        path,
        options: o,
        trainFrames: o.trainVideos * o.frames,
        testFrames: o.testVideos * o.frames,
        anomalies: saved.anomalies,
        labels,
      };
    }
  } catch {
    // absent or unreadable: write it
  }
  return await writeSynthVideo(o);
}
