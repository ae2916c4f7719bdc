import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { PYTHON3, testWith } from "../../tests/optional.ts";
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from "./safetensors.ts";

const sample = () =>
  new Map([
    ["conv.weight", { shape: [2, 1, 1, 3], values: Float32Array.of(1, -2, 0.5, 3e-8, 1e30, -0) }],
    ["bn.bias", { shape: [3], values: Float32Array.of(0.25, 0.5, 0.75) }],
    ["loss", { shape: [], values: Float32Array.of(Math.PI) }],
    ["empty", { shape: [0, 4], values: new Float32Array(0) }],
  ]);

Deno.test("encodeSafetensors() writes the layout by hand: u64 header size, padded JSON, LE floats", () => {
  const bytes = encodeSafetensors(new Map([["a", { shape: [2], values: Float32Array.of(1, -2) }]]));
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  assertEquals(n % 8, 0); // padded to 8 bytes
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assertEquals(header.trimEnd(), '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
  assertEquals(bytes.length, 8 + n + 8);
  // 1.0f = 0x3f800000, -2.0f = 0xc0000000, little-endian.
  assertEquals(Array.from(bytes.subarray(8 + n)), [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
});

Deno.test("decodeSafetensors() reads back what encodeSafetensors() wrote, metadata included", () => {
  const back = decodeSafetensors(encodeSafetensors(sample(), { format: "pt", note: "é" }));
  assertEquals(back.metadata, { format: "pt", note: "é" });
  assertEquals([...back.tensors.keys()], [...sample().keys()]);
  for (const [k, t] of sample()) {
    assertEquals(back.tensors.get(k)!.shape, t.shape);
    assertEquals(Array.from(back.tensors.get(k)!.values), Array.from(t.values));
  }
});

Deno.test("decodeSafetensors() refuses broken files, naming the problem", () => {
  const good = encodeSafetensors(sample());
  assertThrows(() => decodeSafetensors(good.subarray(0, 5)), SafetensorsError, "too short");
  assertThrows(
    () => decodeSafetensors(good.subarray(0, good.length - 4)),
    SafetensorsError,
    "do not fit",
  );
  const extra = new Uint8Array(good.length + 4);
  extra.set(good);
  assertThrows(
    () => decodeSafetensors(extra),
    SafetensorsError,
    "4 data bytes belong to no tensor",
  );
  const head = (json: string) => {
    const h = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + h.length + 8);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    return out;
  };
  assertThrows(
    () => decodeSafetensors(head('{"x":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}')),
    SafetensorsError,
    "dtype F16",
  );
  assertThrows(
    () =>
      decodeSafetensors(
        head(
          '{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},' +
            '"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        ),
      ),
    SafetensorsError,
    "starts at byte 4, expected 0",
  );
  assertThrows(() => decodeSafetensors(head("[1, 2]")), SafetensorsError, "not a JSON object");
  assertThrows(
    () => encodeSafetensors(new Map([["x", { shape: [3], values: new Float32Array(2) }]])),
    SafetensorsError,
    "shape [3] does not hold its 2 values",
  );
});

// A reader written from the format's description alone (struct + json), no safetensors
// package and no PyTorch: the kit's files are what the format says they are.
const PYTHON_READER = `
import json, struct, sys
data = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n].decode("utf-8"))
body = data[8 + n:]
out = {"__metadata__": header.pop("__metadata__", {})}
for name, info in header.items():
    begin, end = info["data_offsets"]
    count = (end - begin) // 4
    out[name] = {"shape": info["shape"], "values": list(struct.unpack("<%df" % count, body[begin:end]))}
print(json.dumps(out))
`;

await testWith([PYTHON3], {
  name: "a plain Python reader (struct + json) reads the kit's safetensors files",
  async fn() {
    const path = await Deno.makeTempFile({ suffix: ".safetensors" });
    await Deno.writeFile(path, encodeSafetensors(sample(), { format: "pt" }));
    const r = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", PYTHON_READER, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(r.success, new TextDecoder().decode(r.stderr));
    const read = JSON.parse(new TextDecoder().decode(r.stdout));
    assertEquals(read.__metadata__, { format: "pt" });
    for (const [k, t] of sample()) {
      assertEquals(read[k].shape, t.shape, k);
      // Python prints doubles: compare with the float32 values widened.
      assertEquals(read[k].values, Array.from(t.values), k);
    }
    await Deno.remove(path);
  },
});
