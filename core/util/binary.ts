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

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(capacityBytes = initialBytes) {
    this.buffer = new Uint8Array(capacityBytes);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
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
    return this.bigint(BigInt(value));
  }

  /** A signed 64-bit integer, zig-zag encoded as a varint. */
  bigint(value: bigint): this {
    let rest = value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
    this.reserve(10);
    while (rest >= 0x80n) {
      this.buffer[this.length++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.length++] = Number(rest);
    return this;
  }

  f64(value: number): this {
    this.reserve(8);
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

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly buffer: Uint8Array) {
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

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
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (result & 1n) === 0n ? result >> 1n : -((result + 1n) >> 1n);
      shift += 7n;
    }
    throw new DecodeError('varint too long');
  }

  f64(): number {
    this.need(8);
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
