// etcd's simple tokens (--auth-token simple): "<16 random letters>.<raft index>", made when the
// Authenticate entry applies, so every member holds the same tokens (in memory only, as etcd
// does). A token lives --auth-token-ttl seconds from its last use. Deleting a user or changing its
// password drops its tokens; disabling auth drops all. The time is an injected clock.
import { randomInt } from 'node:crypto';

/** etcd's --auth-token-ttl default, seconds. */
export const tokenTtlSecondsDefault = 300;
/** Tokens held at once; past it the one used longest ago goes (a bound against Authenticate floods). */
export const tokensMax = 100_000;

const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const prefixLength = 16;

interface Held {
  readonly user: string;
  expiresAtMs: number;
}

/** A fresh random token prefix (the part before the dot). */
export function newTokenPrefix(): string {
  let prefix = '';
  for (let i = 0; i < prefixLength; i++) prefix += letters[randomInt(letters.length)];
  return prefix;
}

/** The Raft index a simple token names, or null when it has not a simple token's shape. */
export function tokenIndex(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 2 || !/^\d{1,15}$/.test(parts[1]!)) return null;
  return Number(parts[1]);
}

/** What the auth store needs of a token provider (simple tokens here, JWT in jwtTokens.ts). */
export interface TokenKeeper {
  /** A token for `user`, made when the Authenticate entry at `index` applies. Throws AuthError. */
  assign(user: string, revision: number, prefix: string, index: number): string;
  invalidateUser(user: string): void;
  clear(): void;
}

export class SimpleTokens implements TokenKeeper {
  /** Insertion order is last-use order (a used token is moved to the end). */
  private readonly tokens = new Map<string, Held>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records `prefix.index` as a token of `user` and returns it (a simple token carries no revision). */
  assign(user: string, _revision: number, prefix: string, index: number): string {
    const token = `${prefix}.${index}`;
    this.tokens.delete(token);
    this.tokens.set(token, { user, expiresAtMs: this.clock() + this.ttlMs });
    while (this.tokens.size > tokensMax) {
      const oldest = this.tokens.keys().next();
      if (oldest.done) break;
      this.tokens.delete(oldest.value);
    }
    return token;
  }

  /** The user of a live token (its lifetime starts again), or null. */
  user(token: string): string | null {
    const held = this.tokens.get(token);
    if (!held) return null;
    const now = this.clock();
    if (now > held.expiresAtMs) {
      this.tokens.delete(token);
      return null;
    }
    held.expiresAtMs = now + this.ttlMs;
    this.tokens.delete(token);
    this.tokens.set(token, held);
    return held.user;
  }

  invalidateUser(user: string): void {
    for (const [token, held] of this.tokens) if (held.user === user) this.tokens.delete(token);
  }

  clear(): void {
    this.tokens.clear();
  }

  get size(): number {
    return this.tokens.size;
  }
}
