// Invariant checks for core/: a failed assert is a bug and crashes loudly; it is never caught.
// Expected failures are typed errors returned or thrown by the modules that own them.

/** Thrown when an invariant does not hold. Never caught by production code. */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Crashes with `message` unless `condition` holds. One condition per call. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * Crashes with `message`: for a check on a hot path whose message is built from values, written
 * `if (!condition) fail(\`...\`)` so the message is made only when the check fails (a template
 * argument to `assert` is built on every call, about 15 ns).
 */
export function fail(message: string): never {
  throw new AssertionError(message);
}
