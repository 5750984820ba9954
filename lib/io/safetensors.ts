// safetensors, the checkpoint format HF writes: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end)}, __metadata__?}, then the raw tensors. Reading
// trusts nothing: the header length, every offset, dtype and shape is checked against the file
// before a byte is used, and F16/BF16 are widened to float32. Writing emits F32 (atomically).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BertError } from '../errors.js';
import { assertReadable } from './read.js';
import { writeFileAtomic } from './atomic.js';

export interface Tensor {
  shape: number[];
  data: Float32Array;
  /** Tensors read from a file: copy the values straight into `dst` (a parameter's place in the arena), no buffer between */
  readInto?(dst: Float32Array): void;
  /** Where a little-endian float32 tensor's bytes sit in its file (a file that can be mapped whole) */
  file?: { path: string; size: number; byteOffset: number };
}

const FLOAT_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
// integer tensors are checked like any other but never read as weights: HF's older checkpoints carry
// the `position_ids` buffer (I64), which HF ignores on load, and so does bert-cli
const DTYPE_BYTES: Record<string, number> = { ...FLOAT_BYTES, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 * 1024 * 1024;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  /** byte range in the data section */
  begin: number;
  end: number;
}

type Fail = (msg: string, tensor?: string) => never;

/** The header's length field, checked against the file size. */
function headerLength(first8: Uint8Array, fileLen: number, fail: Fail): number {
  if (fileLen < 8) fail(`not a safetensors file (${fileLen} bytes, the header length alone takes 8)`);
  const headerLen = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > MAX_HEADER) fail(`header length ${headerLen} is over the 100 MiB limit`);
  if (8 + headerLen > fileLen) fail(`header length ${headerLen} runs past the end of the file (${fileLen} bytes)`);
  return headerLen;
}

/** Every entry of the header, each checked (dtype, shape, byte range, no overlap) before a data byte is read. */
function parseHeader(headerBytes: Uint8Array, dataLen: number, fail: Fail): Entry[] {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString('utf8'));
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const entries: Entry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail('entry is not an object', name);
    const bytes = DTYPE_BYTES[e.dtype as string];
    if (!bytes) fail(`dtype ${JSON.stringify(e.dtype)} is not supported (F32, F16, BF16, F64; integer tensors are skipped)`, name);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail('shape is not a list of sizes', name);
    const shape = e.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * bytes)) fail('shape is too large', name);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) fail('data_offsets is not [begin, end]', name);
    const [b, en] = off as number[];
    if (b > en || en > dataLen) fail(`data_offsets [${b}, ${en}] fall outside the ${dataLen} data bytes`, name);
    if (en - b !== count * bytes) fail(`shape [${shape}] of ${e.dtype} needs ${count * bytes} bytes, data_offsets give ${en - b}`, name);
    entries.push({ name, dtype: e.dtype as string, shape, count, begin: b, end: en });
  }
  const ranges = [...entries].sort((x, y) => x.begin - y.begin);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i].begin < ranges[i - 1].end) fail(`data overlaps ${ranges[i - 1].name}`, ranges[i].name);
  }
  return entries;
}

/** A tensor's raw little-endian bytes widened to float32 (F32 on a little-endian machine: one copy). */
function decode(raw: Uint8Array, e: Entry, fail: Fail): Float32Array {
  if (!FLOAT_BYTES[e.dtype]) fail(`a ${e.dtype} tensor is not a floating-point weight`, e.name);
  const data = new Float32Array(e.count);
  if (e.dtype === 'F32' && LITTLE_ENDIAN) {
    new Uint8Array(data.buffer).set(raw); // raw need not be 4-aligned, so copy rather than view
    return data;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (e.dtype === 'F32') {
    for (let i = 0; i < e.count; i++) data[i] = view.getFloat32(4 * i, true);
  } else if (e.dtype === 'F64') {
    for (let i = 0; i < e.count; i++) data[i] = view.getFloat64(8 * i, true);
  } else if (e.dtype === 'F16') {
    for (let i = 0; i < e.count; i++) data[i] = f16ToF32(view.getUint16(2 * i, true));
  } else {
    const u = new Uint32Array(data.buffer);
    for (let i = 0; i < e.count; i++) u[i] = view.getUint16(2 * i, true) << 16; // bf16 → f32
  }
  return data;
}

/**
 * The tensors of a safetensors file: the header is read and checked whole at once; each tensor's bytes
 * are read when asked for — `readInto` puts float32 data straight where it belongs (a BERT-base
 * checkpoint loads into its arena in about half a second), `data` decodes a copy.
 */
export function readSafetensors(path: string): Map<string, Tensor> {
  const fail: Fail = (msg, tensor) => {
    throw new BertError(msg, { where: tensor ? `${path}: ${tensor}` : path });
  };
  const withFile = <T>(f: (readAt: (dst: Uint8Array, pos: number) => Uint8Array, size: number) => T): T => {
    // a regular file only: opening a FIFO blocks until a writer comes (forever); the one not-found /
    // not-a-file error every reader gives
    assertReadable(path, 'checkpoint');
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new BertError(`cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { where: path });
    }
    try {
      const size = fstatSync(fd).size;
      return f((dst, pos) => {
        for (let got = 0; got < dst.byteLength; ) {
          const n = readSync(fd, dst, got, dst.byteLength - got, pos + got);
          if (n <= 0) fail(`the file ends early (${size} bytes)`);
          got += n;
        }
        return dst;
      }, size);
    } catch (err) {
      if (err instanceof BertError) throw err;
      throw new BertError(`cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { where: path });
    } finally {
      closeSync(fd);
    }
  };
  const { headerLen, entries, fileSize } = withFile((readAt, size) => {
    const headerLen = headerLength(readAt(new Uint8Array(Math.min(8, size)), 0), size, fail);
    return { headerLen, entries: parseHeader(readAt(new Uint8Array(headerLen), 8), size - 8 - headerLen, fail), fileSize: size };
  });
  const out = new Map<string, Tensor>();
  for (const e of entries) {
    const pos = 8 + headerLen + e.begin;
    let cached: Float32Array | null = null;
    const t: Tensor = {
      shape: e.shape,
      get data() {
        return (cached ??= withFile((readAt) => decode(readAt(new Uint8Array(e.end - e.begin), pos), e, fail)));
      },
      readInto(dst: Float32Array) {
        if (dst.length !== e.count) fail(`${e.count} values do not fit a place of ${dst.length}`, e.name);
        if (e.dtype === 'F32' && LITTLE_ENDIAN) withFile((readAt) => readAt(new Uint8Array(dst.buffer, dst.byteOffset, 4 * e.count), pos));
        else dst.set(t.data);
      },
    };
    if (e.dtype === 'F32' && LITTLE_ENDIAN) t.file = { path, size: fileSize, byteOffset: pos };
    out.set(e.name, t);
  }
  return out;
}

export function parseSafetensors(buf: Uint8Array, where = '(buffer)'): Map<string, Tensor> {
  const fail: Fail = (msg, tensor) => {
    throw new BertError(msg, { where: tensor ? `${where}: ${tensor}` : where });
  };
  const headerLen = headerLength(buf, buf.byteLength, fail);
  const dataStart = 8 + headerLen;
  const entries = parseHeader(buf.subarray(8, dataStart), buf.byteLength - dataStart, fail);
  const out = new Map<string, Tensor>();
  for (const e of entries) {
    let cached: Float32Array | null = null;
    out.set(e.name, { shape: e.shape, get data() { return (cached ??= decode(buf.subarray(dataStart + e.begin, dataStart + e.end), e, fail)); } });
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
