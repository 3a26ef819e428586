// Building Results and turning thrown failures into them. Feature code throws AdminFailure for
// expected failures; the AdminService boundary converts them (and validation errors) to
// `{ ok: false, error }`. Assertion failures are bugs and are rethrown, never converted.
import { AssertionError } from '../raft/assert.js';
import type { AdminError, AdminErrorCode, Result } from './api.js';
import { ValidationError } from './validate.js';

/** An expected failure inside the AdminService, carrying the code the console shows. */
export class AdminFailure extends Error {
  override readonly name = 'AdminFailure';
  constructor(
    readonly code: AdminErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function failure<T = never>(code: AdminErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** Maps a thrown value to an AdminError; `translate` may claim errors of other layers (the client). */
export function toAdminError(error: unknown, translate?: (error: unknown) => AdminError | null): AdminError {
  if (error instanceof AssertionError) throw error;
  if (error instanceof AdminFailure) return { code: error.code, message: error.message };
  if (error instanceof ValidationError) return { code: 'invalid_argument', message: error.message };
  const translated = translate?.(error) ?? null;
  if (translated) return translated;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: message || 'An unexpected error occurred.' };
}

/** Runs `work` and wraps its outcome in a Result. */
export async function attempt<T>(
  work: () => Promise<T>,
  translate?: (error: unknown) => AdminError | null,
): Promise<Result<T>> {
  try {
    return ok(await work());
  } catch (error) {
    return { ok: false, error: toAdminError(error, translate) };
  }
}
