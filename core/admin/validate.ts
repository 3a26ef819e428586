// Small hand-written validators for untrusted requests. The renderer is untrusted: the web host and
// the Electron main process run every argument through these before the AdminService sees it.
// Each validator either returns a value of its type or throws a ValidationError naming the path.

/** A request argument does not match the AdminApi contract. Expected; mapped to invalid_argument. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

/** Returns `value` as a `T` or throws a ValidationError mentioning `path`. */
export type Validator<T> = (value: unknown, path: string) => T;
type Out<V> = V extends Validator<infer T> ? T : never;

/** Longest string any request field may carry unless a field says otherwise (a PEM bundle fits). */
export const stringLengthMax = 256 * 1024;
/** Most items any request array may carry unless a field says otherwise. */
export const arrayItemsMax = 10_000;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new ValidationError(`${path} must be ${expected}, got ${describe(value)}.`);
}

export interface StringRules {
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  patternText?: string;
}

export function string(rules: StringRules = {}): Validator<string> {
  const minLength = rules.minLength ?? 0;
  const maxLength = rules.maxLength ?? stringLengthMax;
  return (value, path) => {
    if (typeof value !== 'string') fail(path, 'a string', value);
    if (value.length < minLength) {
      throw new ValidationError(
        minLength === 1 ? `${path} must not be empty.` : `${path} must be at least ${minLength} characters.`,
      );
    }
    if (value.length > maxLength) throw new ValidationError(`${path} must be at most ${maxLength} characters.`);
    if (rules.pattern && !rules.pattern.test(value)) {
      throw new ValidationError(`${path} must be ${rules.patternText ?? `of the form ${String(rules.pattern)}`}.`);
    }
    return value;
  };
}

export function integer(min: number, max: number): Validator<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, 'an integer', value);
    if (value < min || value > max) throw new ValidationError(`${path} must be between ${min} and ${max}.`);
    return value;
  };
}

export const boolean: Validator<boolean> = (value, path) => {
  if (typeof value !== 'boolean') fail(path, 'true or false', value);
  return value;
};

export function literal<const L extends readonly (string | number)[]>(...allowed: L): Validator<L[number]> {
  return (value, path) => {
    if (!allowed.includes(value as L[number])) {
      throw new ValidationError(`${path} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}.`);
    }
    return value as L[number];
  };
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (value, path) => (value === null ? null : inner(value, path));
}

export function array<T>(item: Validator<T>, maxItems = arrayItemsMax, minItems = 0): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, 'an array', value);
    if (value.length < minItems) throw new ValidationError(`${path} must have at least ${minItems} item(s).`);
    if (value.length > maxItems) throw new ValidationError(`${path} must have at most ${maxItems} items.`);
    return value.map((element, index) => item(element, `${path}[${index}]`));
  };
}

type Shape = Record<string, Validator<unknown>>;
type ObjectOf<R extends Shape, O extends Shape> = { [K in keyof R]: Out<R[K]> } & { [K in keyof O]?: Out<O[K]> };

/** An object with exactly these keys: `required` must be present, `optional` may be; others are refused. */
export function object<R extends Shape, O extends Shape = Record<never, never>>(
  required: R,
  optional?: O,
): Validator<ObjectOf<R, O>> {
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
    const record = value as Record<string, unknown>;
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(required, key) && !(optional && Object.hasOwn(optional, key))) {
        throw new ValidationError(`${path}.${key} is not a known field.`);
      }
    }
    for (const [key, validator] of Object.entries(required)) {
      if (!Object.hasOwn(record, key)) throw new ValidationError(`${path}.${key} is required.`);
      result[key] = validator(record[key], `${path}.${key}`);
    }
    for (const [key, validator] of Object.entries(optional ?? {})) {
      if (Object.hasOwn(record, key) && record[key] !== undefined) {
        result[key] = validator(record[key], `${path}.${key}`);
      }
    }
    return result as ObjectOf<R, O>;
  };
}
