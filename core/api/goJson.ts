// JSON read as Go's encoding/json reads it, for the gateway: etcd's grpc-gateway decodes request
// bodies with Go's json.Decoder, so its syntax errors are Go's scanner messages ("invalid
// character '}' looking for beginning of object key string", "unexpected EOF"), it reads one
// value and ignores what follows it, and numbers keep their source text (an int64 sent as a JSON
// number never passes through a double). Mapping the values onto protobuf fields, with Go's type
// errors, is core/api/jsonpbDecode.ts.

/** A parsed JSON value. Numbers and strings keep their source text; objects keep the last of duplicate keys. */
export type JsonNode =
  | { readonly kind: 'object'; readonly fields: ReadonlyMap<string, JsonNode> }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  /** `source` is the literal between its quotes, escapes not yet read. */
  | { readonly kind: 'string'; readonly value: string; readonly source: string }
  | { readonly kind: 'number'; readonly source: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

/** A body Go's JSON decoder refuses; `message` is Go's error text. */
export class GoJsonError extends Error {
  override readonly name = 'GoJsonError';
}

/** Nesting deeper than this is refused (Go allows 10,000; a gateway request never nests past a few dozen). */
export const jsonDepthMax = 1_000;

const whitespace = new Set([' ', '\t', '\r', '\n']);
const escapes: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Go's quoteChar: how its scanner names an unexpected character. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) {
    const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
    return `'${named[code] ?? `\\x${code.toString(16).padStart(2, '0')}`}'`;
  }
  if (c === '\\') return `'\\\\'`;
  return `'${c}'`;
}

/** Signals input that ended inside a value (Go: io.ErrUnexpectedEOF or "unexpected end of JSON input"). */
class EndOfInput extends Error {}

class Scanner {
  position = 0;
  constructor(private readonly text: string) {}

  private fail(context: string): never {
    if (this.position >= this.text.length) throw new EndOfInput();
    throw new GoJsonError(`invalid character ${quoteChar(this.text[this.position]!)} ${context}`);
  }

  skipWhitespace(): void {
    while (this.position < this.text.length && whitespace.has(this.text[this.position]!)) this.position++;
  }

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.position];
  }

  value(depth: number): JsonNode {
    this.skipWhitespace();
    const c = this.text[this.position];
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"') {
      const { value, source } = this.string();
      return { kind: 'string', value, source };
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    if (c === 't') return (this.literal('true'), { kind: 'bool', value: true });
    if (c === 'f') return (this.literal('false'), { kind: 'bool', value: false });
    if (c === 'n') return (this.literal('null'), { kind: 'null' });
    return this.fail('looking for beginning of value');
  }

  private object(depth: number): JsonNode {
    if (depth > jsonDepthMax) throw new GoJsonError('exceeded max depth');
    this.position++;
    const fields = new Map<string, JsonNode>();
    this.skipWhitespace();
    if (this.peek() === '}') {
      this.position++;
      return { kind: 'object', fields };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.peek() !== '"') this.fail('looking for beginning of object key string');
      const key = this.string().value;
      this.skipWhitespace();
      if (this.peek() !== ':') this.fail('after object key');
      this.position++;
      fields.set(key, this.value(depth));
      this.skipWhitespace();
      const next = this.peek();
      if (next === '}') {
        this.position++;
        return { kind: 'object', fields };
      }
      if (next !== ',') this.fail('after object key:value pair');
      this.position++;
    }
  }

  private array(depth: number): JsonNode {
    if (depth > jsonDepthMax) throw new GoJsonError('exceeded max depth');
    this.position++;
    const items: JsonNode[] = [];
    this.skipWhitespace();
    if (this.peek() === ']') {
      this.position++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipWhitespace();
      const next = this.peek();
      if (next === ']') {
        this.position++;
        return { kind: 'array', items };
      }
      if (next !== ',') this.fail('after array element');
      this.position++;
    }
  }

  private string(): { value: string; source: string } {
    const start = ++this.position;
    let value = '';
    for (;;) {
      const c = this.text[this.position];
      if (c === undefined) throw new EndOfInput();
      if (c === '"') break;
      if (c === '\\') {
        this.position++;
        const e = this.text[this.position];
        if (e === 'u') {
          let code = 0;
          for (let i = 0; i < 4; i++) {
            this.position++;
            const h = this.text[this.position];
            if (h === undefined || !/[0-9a-fA-F]/.test(h)) this.fail('in \\u hexadecimal character escape');
            code = code * 16 + parseInt(h, 16);
          }
          value += String.fromCharCode(code);
        } else if (e !== undefined && Object.hasOwn(escapes, e)) {
          value += escapes[e];
        } else {
          this.fail('in string escape code');
        }
        this.position++;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) this.fail('in string literal');
      value += c;
      this.position++;
    }
    const source = this.text.slice(start, this.position);
    this.position++;
    return { value, source };
  }

  private digits(): void {
    while (this.position < this.text.length && this.text[this.position]! >= '0' && this.text[this.position]! <= '9') this.position++;
  }

  private isDigit(): boolean {
    const c = this.text[this.position];
    return c !== undefined && c >= '0' && c <= '9';
  }

  private number(): JsonNode {
    const start = this.position;
    if (this.peek() === '-') {
      this.position++;
      if (!this.isDigit()) this.fail('in numeric literal');
    }
    if (this.peek() === '0') this.position++;
    else this.digits();
    if (this.peek() === '.') {
      this.position++;
      if (!this.isDigit()) this.fail('after decimal point in numeric literal');
      this.digits();
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.position++;
      if (this.peek() === '+' || this.peek() === '-') this.position++;
      if (!this.isDigit()) this.fail('in exponent of numeric literal');
      this.digits();
    }
    return { kind: 'number', source: this.text.slice(start, this.position) };
  }

  private literal(word: string): void {
    for (let i = 1; i < word.length; i++) {
      this.position++;
      if (this.text[this.position] !== word[i]) this.fail(`in literal ${word} (expecting ${quoteChar(word[i]!)})`);
    }
    this.position++;
  }
}

/** One value read from the front of `text`, as json.Decoder.Decode reads it. */
export type DecodeResult =
  | { readonly kind: 'value'; readonly node: JsonNode; readonly end: number }
  /** Nothing but whitespace (Go: io.EOF, which the gateway reads as an empty request). */
  | { readonly kind: 'empty' }
  /** The text stops inside a value: more may come; if none does, Go says "unexpected EOF". */
  | { readonly kind: 'incomplete' };

/**
 * Reads the first JSON value of `text` from `offset` (json.Decoder.Decode). What follows the value
 * is left for the next call. A number at the very end is incomplete unless `final`, since more
 * digits may follow. Throws GoJsonError for a syntax error.
 */
export function decodeNext(text: string, offset: number, final: boolean): DecodeResult {
  const scanner = new Scanner(text);
  scanner.position = offset;
  scanner.skipWhitespace();
  if (scanner.atEnd()) return { kind: 'empty' };
  try {
    const node = scanner.value(0);
    if (node.kind === 'number' && scanner.atEnd() && !final) return { kind: 'incomplete' };
    return { kind: 'value', node, end: scanner.position };
  } catch (error) {
    if (error instanceof EndOfInput) return { kind: 'incomplete' };
    throw error;
  }
}

/** The whole of `text` as one JSON value (json.Unmarshal): nothing but whitespace may follow it. */
export function unmarshal(text: string): JsonNode {
  const scanner = new Scanner(text);
  try {
    const node = scanner.value(0);
    scanner.skipWhitespace();
    if (!scanner.atEnd()) throw new GoJsonError(`invalid character ${quoteChar(scanner.peek()!)} after top-level value`);
    return node;
  } catch (error) {
    if (error instanceof EndOfInput) throw new GoJsonError('unexpected end of JSON input');
    throw error;
  }
}
