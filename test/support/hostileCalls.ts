// Hostile gRPC calls for tests and benchmarks: seeded damaged protobuf inputs (random bytes,
// absurd length prefixes, truncated and bit-flipped requests) and raw calls that send bytes as they
// are to any method, unary or streaming, and report the status they got (bounded by a deadline).
import { Metadata, status, type Client, type ClientDuplexStream, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { Random } from '../../core/raft/random.js';

/** Deadline of one hostile call; a call that reaches it hung. */
export const callDeadlineMs = 10_000;

/** One seeded input: random bytes, or a request-shaped message damaged one of several ways. */
export function hostileInput(random: Random): Buffer {
  const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => random.nextInt(256)));
  switch (random.nextInt(4)) {
    case 0:
      return randomBytes(1 + random.nextInt(64));
    case 1: {
      // Field 1 as bytes with a length far beyond the message.
      return Buffer.concat([Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), randomBytes(random.nextInt(16))]);
    }
    case 2: {
      // A plausible request (key, range end, a varint) cut short inside a field.
      const whole = Buffer.concat([Buffer.from([0x0a, 0x08]), Buffer.from('/kept/1x'), Buffer.from([0x12, 0x04]), Buffer.from('/kep'), Buffer.from([0x18, 0x96, 0x01])]);
      return whole.subarray(0, 1 + random.nextInt(whole.length - 1));
    }
    default: {
      // A plausible request with one bit flipped in its framing.
      const bytes = Buffer.concat([Buffer.from([0x0a, 0x03]), Buffer.from('/x/'), Buffer.from([0x10, 0x05])]);
      const at = random.nextInt(bytes.length);
      bytes[at] = bytes[at]! ^ (1 << random.nextInt(8));
      return bytes;
    }
  }
}

export interface Answer {
  readonly code: number;
  readonly details: string;
}

export function callUnary(raw: Client, path: string, input: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, input, new Metadata(), { deadline: Date.now() + callDeadlineMs }, (error: ServiceError | null) => {
      resolve({ code: error ? error.code : status.OK, details: error?.details ?? '' });
    });
  });
}

export function callStream(raw: Client, path: string, input: Buffer, requestStream: boolean): Promise<Answer> {
  return new Promise((resolve) => {
    const options = { deadline: Date.now() + callDeadlineMs };
    let stream: ClientDuplexStream<Buffer, Buffer> | ClientReadableStream<Buffer>;
    if (requestStream) {
      const duplex = raw.makeBidiStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, new Metadata(), options);
      duplex.write(input);
      duplex.end();
      stream = duplex;
    } else {
      stream = raw.makeServerStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, input, new Metadata(), options);
    }
    let answered = false;
    stream.on('data', () => {
      // A valid watch or keep-alive gets responses and stays open; an answer is enough.
      if (!answered) {
        answered = true;
        stream.cancel();
        resolve({ code: status.OK, details: '' });
      }
    });
    stream.on('error', (error: ServiceError) => {
      if (!answered) resolve({ code: error.code, details: error.details });
      answered = true;
    });
    stream.on('status', () => {
      if (!answered) resolve({ code: status.OK, details: '' });
      answered = true;
    });
  });
}
