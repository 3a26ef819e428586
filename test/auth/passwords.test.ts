import { afterAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../core/auth/passwords.js';

const hasher = new PasswordHasher(4);

afterAll(async () => {
  await hasher.close();
});

describe('password hashing', () => {
  it('writes the modular-crypt $2b$ format at the given cost, and checks it', async () => {
    const hash = await hasher.hash('s3cret');
    expect(hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(await hasher.compare('s3cret', hash)).toBe(true);
    expect(await hasher.compare('S3cret', hash)).toBe(false);
  });

  it("reads $2a$ hashes, the form Go's bcrypt (etcd's) writes", async () => {
    // OpenBSD's published test vector for the password "U*U".
    expect(await hasher.compare('U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')).toBe(true);
    expect(await hasher.compare('U*V', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')).toBe(false);
  });

  it('treats a malformed hash as matching nothing', async () => {
    expect(await hasher.compare('x', 'not a hash')).toBe(false);
  });

  it('hashes off the event loop: a timer set after the hash started fires before it ends', async () => {
    const slow = new PasswordHasher(12);
    try {
      const order: string[] = [];
      const hashed = slow.hash('pw').then(() => order.push('hash'));
      await new Promise<void>((resolve) => setTimeout(() => {
        order.push('timer');
        resolve();
      }, 0));
      await hashed;
      expect(order).toEqual(['timer', 'hash']);
    } finally {
      await slow.close();
    }
  });

  it('refuses a cost etcd refuses', () => {
    expect(() => new PasswordHasher(3)).toThrow(RangeError);
    expect(() => new PasswordHasher(32)).toThrow(RangeError);
  });
});
