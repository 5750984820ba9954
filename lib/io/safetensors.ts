// safetensors, the checkpoint format HF writes: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end)}, __metadata__?}, then the raw tensors. Reading
// trusts nothing: the header length, every offset, dtype and shape is checked against the file
// before a byte is used, and F16/BF16 are widened to float32. Writing emits F32 (atomically).
import { BertError } from '../errors.js';
import { readInput } from './read.js';
import { writeFileAtomic } from './atomic.js';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const MAX_HEADER = 100 * 1024 * 1024;

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Reads every tensor of a safetensors file as float32. */
export function readSafetensors(path: string): Map<string, Tensor> {
  return parseSafetensors(readInput(path, 'checkpoint'), path);
}

export function parseSafetensors(buf: Uint8Array, where = '(buffer)'): Map<string, Tensor> {
  const fail = (msg: string, tensor?: string): never => {
    throw new BertError(msg, { where: tensor ? `${where}: ${tensor}` : where });
  };
  if (buf.byteLength < 8) fail(`not a safetensors file (${buf.byteLength} bytes, the header length alone takes 8)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER) fail(`header length ${headerLen} is over the 100 MiB limit`);
  if (8 + headerLen > buf.byteLength) fail(`header length ${headerLen} runs past the end of the file (${buf.byteLength} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, headerLen).toString('utf8'));
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const ranges: [number, number, string][] = [];
  const out = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail('entry is not an object', name);
    const bytes = DTYPE_BYTES[e.dtype as string];
    if (!bytes) fail(`dtype ${JSON.stringify(e.dtype)} is not supported (F32, F16, BF16, F64)`, name);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail('shape is not a list of sizes', name);
    const shape = e.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * bytes)) fail('shape is too large', name);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) fail('data_offsets is not [begin, end]', name);
    const [b, en] = off as number[];
    if (b > en || en > dataLen) fail(`data_offsets [${b}, ${en}] fall outside the ${dataLen} data bytes`, name);
    if (en - b !== count * bytes) fail(`shape [${shape}] of ${e.dtype} needs ${count * bytes} bytes, data_offsets give ${en - b}`, name);
    ranges.push([b, en, name]);
    const data = new Float32Array(count);
    const base = dataStart + b;
    if (e.dtype === 'F32') {
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(base + 4 * i, true);
    } else if (e.dtype === 'F64') {
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(base + 8 * i, true);
    } else if (e.dtype === 'F16') {
      for (let i = 0; i < count; i++) data[i] = f16ToF32(view.getUint16(base + 2 * i, true));
    } else {
      const u = new Uint32Array(data.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16(base + 2 * i, true) << 16; // bf16 → f32
    }
    out.set(name, { shape, data });
  }
  ranges.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) fail(`data overlaps ${ranges[i - 1][2]}`, ranges[i][2]);
  }
  return out;
}

/** Writes tensors as F32 in the given order, atomically. */
export function writeSafetensors(path: string, tensors: [string, Tensor][], metadata: Record<string, string> = { format: 'pt' }): void {
  writeFileAtomic(path, safetensorsChunks(tensors, metadata));
}

/** The bytes of a safetensors file (F32, in the given order), as chunks for one write. */
export function safetensorsChunks(tensors: [string, Tensor][], metadata: Record<string, string> = { format: 'pt' }): (Uint8Array | string)[] {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // data starts 8-byte aligned, as HF pads
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const chunks: (Uint8Array | string)[] = [len, json];
  for (const [, t] of tensors) {
    const copy = new Float32Array(t.data); // own buffer: little-endian bytes on every supported platform
    chunks.push(new Uint8Array(copy.buffer));
  }
  return chunks;
}
