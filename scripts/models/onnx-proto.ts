/**
 * A minimal protobuf writer for the few ONNX messages the model makers need (glove.ts,
 * minilm-shaped.ts): no ONNX or protobuf library exists here, and these messages are small.
 * Field numbers are those of onnx/onnx.proto.
 */

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 fields: two's complement, ten bytes
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
export const int = (field: number, v: number) => Buffer.from([...key(field, 0), ...varint(v)]);
export function bytes(field: number, payload: Buffer | string): Buffer {
  const b = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from([...key(field, 2), ...varint(b.length)]), b]);
}
export const msg = (field: number, ...parts: Buffer[]) => bytes(field, Buffer.concat(parts));
function float32(field: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return Buffer.concat([Buffer.from(key(field, 5)), b]);
}

export const FLOAT = 1;
export const INT64 = 7;
/** ValueInfoProto with a tensor type; dims are numbers or symbolic names. */
export function valueInfo(field: number, name: string, elemType: number, dims: (number | string)[]): Buffer {
  const dimMsgs = dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : bytes(2, d)));
  const tensorType = msg(1, int(1, elemType), msg(2, ...dimMsgs));
  return msg(field, bytes(1, name), msg(2, tensorType));
}

/** A graph initializer (TensorProto, field 5 of GraphProto) holding float32 or int64 data. */
export function initializer(name: string, dims: number[], data: Float32Array | BigInt64Array): Buffer {
  const type = data instanceof Float32Array ? FLOAT : INT64;
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return msg(5, ...dims.map((d) => int(1, d)), int(2, type), bytes(8, name), bytes(9, raw));
}

export type Attr = { f: number } | { i: number } | { ints: number[] };

/** A NodeProto (field 1 of GraphProto) with its attributes. */
export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, Attr> = {},
): Buffer {
  const attributes = Object.entries(attrs).map(([name, a]) => {
    if ('f' in a) return msg(5, bytes(1, name), float32(2, a.f), int(20, 1));
    if ('i' in a) return msg(5, bytes(1, name), int(3, a.i), int(20, 2));
    return msg(5, bytes(1, name), ...a.ints.map((v) => int(8, v)), int(20, 7));
  });
  return msg(
    1,
    ...inputs.map((n) => bytes(1, n)),
    ...outputs.map((n) => bytes(2, n)),
    bytes(3, outputs[0]!),
    bytes(4, op),
    ...attributes,
  );
}

/** A ModelProto around a graph's parts, for the default ONNX domain at `opset`. */
export function model(producer: string, opset: number, graphParts: Buffer[]): Buffer {
  return Buffer.concat([
    int(1, 8),
    bytes(2, producer),
    msg(7, ...graphParts),
    msg(8, bytes(1, ''), int(2, opset)),
  ]);
}
