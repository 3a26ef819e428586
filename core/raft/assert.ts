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
