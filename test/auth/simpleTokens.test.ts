import { describe, expect, it } from 'vitest';
import { newTokenPrefix, SimpleTokens, tokenIndex } from '../../core/auth/simpleTokens.js';

describe('simple tokens', () => {
  it('are etcd-shaped: 16 letters, a dot and the Raft index', () => {
    const prefix = newTokenPrefix();
    expect(prefix).toMatch(/^[a-zA-Z]{16}$/);
    expect(tokenIndex(`${prefix}.42`)).toBe(42);
    expect(tokenIndex('no-dot')).toBeNull();
    expect(tokenIndex('a.b.c')).toBeNull();
    expect(tokenIndex('abc.x1')).toBeNull();
  });

  it('expire a TTL after their last use, each use starting it again', () => {
    let now = 1_000;
    const tokens = new SimpleTokens(300_000, () => now);
    const token = tokens.assign('alice', 1, 'prefix', 7);
    now += 299_000;
    expect(tokens.user(token)).toBe('alice');
    now += 299_000;
    expect(tokens.user(token)).toBe('alice');
    now += 300_001;
    expect(tokens.user(token)).toBeNull();
  });

  it('are dropped for one user, or all at once', () => {
    const tokens = new SimpleTokens(1_000, () => 0);
    const a = tokens.assign('alice', 1, 'p', 1);
    const b = tokens.assign('bob', 1, 'p', 2);
    tokens.invalidateUser('alice');
    expect(tokens.user(a)).toBeNull();
    expect(tokens.user(b)).toBe('bob');
    tokens.clear();
    expect(tokens.user(b)).toBeNull();
  });
});
