// The safetensors reader meets hostile files with one clear error each (naming the file and the
// tensor), never a crash, a hang or a giant allocation; and reads what it writes.
import { describe, it, expect } from 'vitest';
import { parseSafetensors } from '../../lib/io/safetensors.js';
import { formatError } from '../../lib/errors.js';

function file(header: unknown, data: Uint8Array = new Uint8Array(0), lenOverride?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(json.length));
  return new Uint8Array(Buffer.concat([len, json, Buffer.from(data)]));
}

const errorOf = (buf: Uint8Array) => {
  try {
    parseSafetensors(buf, 'evil.safetensors');
  } catch (err) {
    return formatError(err);
  }
  return 'no error';
};

describe('safetensors against hostile files', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than the length field', new Uint8Array(3), /not a safetensors file \(3 bytes/],
    ['header length past the end', file(ok, new Uint8Array(8), 10_000n), /header length 10000 runs past the end of the file/],
    ['header length over the cap', file(ok, new Uint8Array(8), 2n ** 40n), /over the 100 MiB limit/],
    ['header not JSON', file('{not json', new Uint8Array(0)), /header is not valid JSON/],
    ['header not an object', file('[1,2]'), /header is not a JSON object/],
    ['unknown dtype', file({ w: { dtype: 'I4', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype "I4" is not supported.*evil\.safetensors: w/],
    ['offsets past the data', file({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /data_offsets \[0, 8\] fall outside the 4 data bytes/],
    ['reversed offsets', file({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, new Uint8Array(8)), /fall outside/],
    ['shape × dtype ≠ byte range', file({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /shape \[3\] of F32 needs 12 bytes, data_offsets give 8/],
    ['negative or fractional shape', file({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape is not a list of sizes/],
    ['absurd shape', file({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape is too large|needs/],
    ['overlapping tensors', file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), /data overlaps a.*: b/],
    ['missing offsets', file({ w: { dtype: 'F32', shape: [2] } }, new Uint8Array(8)), /data_offsets is not \[begin, end\]/],
  ];
  for (const [name, buf, msg] of cases) {
    it(name, () => expect(errorOf(buf)).toMatch(msg));
  }

  it('reads F32, F16 and BF16 values', () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const f16 = new Uint8Array(new Uint16Array([0x3e00, 0xc000]).buffer); // 1.5, -2
    const bf16 = new Uint8Array(new Uint16Array([0x3fc0, 0xc000]).buffer);
    const t = parseSafetensors(file({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F16', shape: [2], data_offsets: [8, 12] },
      c: { dtype: 'BF16', shape: [1, 2], data_offsets: [12, 16] },
      __metadata__: { format: 'pt' },
    }, new Uint8Array([...f32, ...f16, ...bf16])));
    expect(Array.from(t.get('a')!.data)).toEqual([1.5, -2]);
    expect(Array.from(t.get('b')!.data)).toEqual([1.5, -2]);
    expect(Array.from(t.get('c')!.data)).toEqual([1.5, -2]);
    expect(t.get('c')!.shape).toEqual([1, 2]);
  });

  it('random bytes never crash the reader (seeded, 10,000 files, every tensor decoded)', () => {
    let s = 12345;
    const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const base = file({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, v: { dtype: 'BF16', shape: [4], data_offsets: [16, 24] } }, new Uint8Array(24));
    let errors = 0;
    for (let i = 0; i < 10_000; i++) {
      const buf = base.slice(0, 1 + Math.floor(rand() * base.length));
      for (let k = 0; k < 1 + rand() * 6; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      try {
        for (const t of parseSafetensors(buf, 'fuzz').values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      } catch (err) {
        expect(formatError(err)).toMatch(/fuzz/); // a BertError naming the file, never another exception
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(5000);
  });
});
