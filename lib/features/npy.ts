/**
 * NumPy .npy files (format version 1.0/2.0/3.0, little-endian), so any array we write can be
 * `np.load`ed and compared, and golden arrays written by numpy can be read back in tests.
 * Written arrays are C-order float32 ('<f4'); reading also accepts f8, i2/i4/i8, u1, bool.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Matrix } from './matrix';

const MAGIC = '\x93NUMPY';

/** Writes `data` (row-major, C order) with `shape` as a version 1.0 .npy of float32. */
export function writeNpy(file: string, data: Float32Array, shape: number[]): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`writeNpy ${file}: shape [${shape}] holds ${n} values, data has ${data.length}`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // magic(6) + version(2) + header length(2) + header, padded with spaces to a multiple of 64, ending in \n.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const buf = Buffer.alloc(total + data.length * 4);
  buf.write(MAGIC, 0, 'latin1');
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(header.length, 8);
  buf.write(header, 10, 'latin1');
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  buf.set(bytes, total); // platform is little-endian (x86/arm)
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, buf);
}

/** Writes a Matrix `[rows, cols]` as a 2-D .npy. */
export function writeMatrixNpy(file: string, m: Matrix): void {
  writeNpy(file, m.data, [m.rows, m.cols]);
}

export interface Npy {
  /** Values in C order, converted to float32. */
  data: Float32Array;
  shape: number[];
  /** The file's dtype descriptor, e.g. '<f4'. */
  dtype: string;
}

const ITEM_SIZE: Record<string, number> = { '<f4': 4, '<f8': 8, '<i2': 2, '<i4': 4, '<i8': 8, '|u1': 1, '|b1': 1 };

interface NpyHeader {
  descr: string;
  fortran: boolean;
  shape: number[];
  /** Byte offset of the data. */
  off: number;
  /** Bytes the data must have: prod(shape) × item size. */
  dataBytes: number;
}

/** Parses the header at the start of `buf` (throws naming the file when it is not a supported .npy). */
function parseHeader(buf: Buffer, file: string): NpyHeader {
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== MAGIC) throw new Error(`readNpy ${path.basename(file)}: not a .npy file (bad magic)`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeTxt = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeTxt === undefined || start + hlen > buf.length) throw new Error(`readNpy ${path.basename(file)}: cannot parse header ${header.trim()}`);
  const shape = shapeTxt.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const item = ITEM_SIZE[descr];
  if (!item) throw new Error(`readNpy ${path.basename(file)}: unsupported dtype ${descr}`);
  return { descr, fortran, shape, off: start + hlen, dataBytes: shape.reduce((a, b) => a * b, 1) * item };
}

const truncated = (file: string, have: number, h: NpyHeader) =>
  new Error(`readNpy ${path.basename(file)}: truncated (${have} bytes of data, shape [${h.shape}] needs ${h.dataBytes})`);

/**
 * Checks a .npy without reading its data: the header parses and the file holds exactly the bytes
 * its shape and dtype need (a truncated or overlong file throws). Returns shape and dtype.
 */
export function checkNpy(file: string): { shape: number[]; dtype: string } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 4096));
    fs.readSync(fd, head, 0, head.length, 0);
    const h = parseHeader(head, file);
    const have = size - h.off;
    if (have < h.dataBytes) throw truncated(file, have, h);
    if (have > h.dataBytes) throw new Error(`readNpy ${path.basename(file)}: ${have - h.dataBytes} bytes more than shape [${h.shape}] needs`);
    return { shape: h.shape, dtype: h.descr };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a .npy file (any of the dtypes listed above; Fortran order is transposed to C order). */
export function readNpy(file: string): Npy {
  const buf = fs.readFileSync(file);
  const h = parseHeader(buf, file);
  const { descr, fortran, shape, off } = h;
  const n = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(off);
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const readers: Record<string, [number, (i: number) => number]> = {
    '<f4': [4, (i) => dv.getFloat32(i * 4, true)],
    '<f8': [8, (i) => dv.getFloat64(i * 8, true)],
    '<i2': [2, (i) => dv.getInt16(i * 2, true)],
    '<i4': [4, (i) => dv.getInt32(i * 4, true)],
    '<i8': [8, (i) => Number(dv.getBigInt64(i * 8, true))],
    '|u1': [1, (i) => dv.getUint8(i)],
    '|b1': [1, (i) => dv.getUint8(i)],
  };
  const r = readers[descr];
  if (body.length < h.dataBytes) throw truncated(file, body.length, h);
  let data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = r[1](i);
  if (fortran && shape.length > 1) {
    const c = new Float32Array(n);
    const strides = shape.map((_, d) => shape.slice(0, d).reduce((a, b) => a * b, 1)); // F-order strides
    const idx = new Array(shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let fo = 0;
      for (let d = 0; d < shape.length; d++) fo += idx[d] * strides[d];
      c[i] = data[fo];
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    data = c;
  }
  return { data, shape, dtype: descr };
}

/** Reads a 2-D .npy as a Matrix (a 1-D one becomes `[1, n]`). */
export function readMatrixNpy(file: string): Matrix {
  const a = readNpy(file);
  if (a.shape.length === 1) return { data: a.data, rows: 1, cols: a.shape[0] };
  if (a.shape.length !== 2) throw new Error(`readMatrixNpy ${path.basename(file)}: expected 2 dimensions, shape is [${a.shape}]`);
  return { data: a.data, rows: a.shape[0], cols: a.shape[1] };
}
