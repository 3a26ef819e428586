// A small growable binary writer and a bounds-checked reader: unsigned varints, zig-zag signed
// varints for 64-bit ids, length-prefixed bytes and strings. Used for Raft entry payloads and
// peer messages, where JSON would cost too much per entry. Reading past the end throws a
// DecodeError (malformed input is an expected failure, never an assert).

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });
const initialBytes = 256;

/** 2^28: varints of 64-bit values are written and read as a low 28-bit part and the rest, both exact in a number. */
const twoTo52 = 2 ** 52;
const lowMask = 0xfff_ffffn;

export class ByteWriter {
  private buffer: Uint8Array;
  /** Made on first use (only f64 needs one): a DataView costs more than the rest of a small write. */
  private view: DataView | null = null;
  private length = 0;

  /**
   * The buffer comes from Node's pool when small (a slice of a shared 8 KB slab): a typed array of
   * its own over 64 bytes costs about 0.7 µs to make and is one more backing store for the
   * collector. What `finish` returns may therefore share its ArrayBuffer with others.
   */
  constructor(capacityBytes = initialBytes) {
    this.buffer = Buffer.allocUnsafe(capacityBytes);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = null;
  }

  u8(value: number): this {
    this.reserve(1);
    this.buffer[this.length++] = value;
    return this;
  }

  /** An unsigned integer below 2^53 as a varint. */
  uint(value: number): this {
    this.reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
    return this;
  }

  /** A signed safe integer (etcd's int64 counts and revisions may be negative), zig-zag encoded. */
  int(value: number): this {
    // Zig-zag in plain arithmetic while it stays exact (below 2^53), as `bigint` would write it.
    if (Number.isSafeInteger(value) && Math.abs(value) < twoTo52) return this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
    return this.bigint(BigInt(value));
  }

  /** A signed 64-bit integer, zig-zag encoded as a varint. */
  bigint(value: bigint): this {
    const zigzag = value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
    this.reserve(10);
    // Seven bits a byte from the low end: the low 28 bits make four bytes, the rest follows.
    let high = Number(zigzag >> 28n);
    let low = Number(zigzag & lowMask);
    if (high === 0) return this.uint(low);
    for (let i = 0; i < 4; i++) {
      this.buffer[this.length++] = (low & 0x7f) | 0x80;
      low >>>= 7;
    }
    while (high >= 0x80) {
      this.buffer[this.length++] = (high % 0x80) | 0x80;
      high = Math.floor(high / 0x80);
    }
    this.buffer[this.length++] = high;
    return this;
  }

  f64(value: number): this {
    this.reserve(8);
    this.view ??= new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.view.setFloat64(this.length, value);
    this.length += 8;
    return this;
  }

  bool(value: boolean): this {
    return this.u8(value ? 1 : 0);
  }

  bytes(value: Uint8Array): this {
    this.uint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  string(value: string): this {
    return this.bytes(textEncoder.encode(value));
  }

  /** The bytes written so far (a view, maybe of a buffer shared with others: copy what must last). */
  finish(): Uint8Array {
    // A plain Uint8Array view, as before the buffer came from Node's pool (a Buffer's views are Buffers).
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.length);
  }
}

export class ByteReader {
  private offset = 0;
  /** Made on first use, as the writer's. */
  private view: DataView | null = null;

  constructor(private readonly buffer: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.buffer.length;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) {
      throw new DecodeError(`truncated input: wanted ${bytes} bytes at offset ${this.offset} of ${this.buffer.length}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buffer[this.offset++]!;
  }

  uint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (result > Number.MAX_SAFE_INTEGER) throw new DecodeError(`integer ${result} exceeds 2^53`);
        return result;
      }
      scale *= 0x80;
    }
    throw new DecodeError('varint too long');
  }

  /** A signed integer written by `ByteWriter.int`; refused outside the safe range. */
  int(): number {
    const value = this.bigint();
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new DecodeError(`integer ${value} exceeds 2^53`);
    return Number(value);
  }

  bigint(): bigint {
    // Up to 10 bytes (70 bits): the first four bytes' 28 bits, then up to 42 more, each exact in a number.
    let low = 0;
    let high = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.u8();
      if (i < 4) low += (byte & 0x7f) * 2 ** (7 * i);
      else {
        high += (byte & 0x7f) * scale;
        scale *= 0x80;
      }
      if ((byte & 0x80) === 0) {
        const result = high === 0 ? BigInt(low) : (BigInt(high) << 28n) | BigInt(low);
        return (result & 1n) === 0n ? result >> 1n : -((result + 1n) >> 1n);
      }
    }
    throw new DecodeError('varint too long');
  }

  f64(): number {
    this.need(8);
    this.view ??= new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    const value = this.view.getFloat64(this.offset);
    this.offset += 8;
    return value;
  }

  bool(): boolean {
    const byte = this.u8();
    if (byte > 1) throw new DecodeError(`invalid boolean byte ${byte}`);
    return byte === 1;
  }

  /** A view into the input (no copy). */
  bytes(): Uint8Array {
    const length = this.uint();
    this.need(length);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  string(): string {
    try {
      return textDecoder.decode(this.bytes());
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      throw new DecodeError('invalid UTF-8 in a string field');
    }
  }
}
