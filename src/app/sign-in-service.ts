import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';
import { findAdminForLogin, normalizeAdminEmail } from '../auth/admin-users.ts';
import { dummyHash, verifyPassword } from '../auth/passwords.ts';
import { ACCOUNT_POLICY, ADDRESS_POLICY, type ThrottlePolicy } from '../core/sign-in-policy.ts';
import { clearKey, isFamiliarAddress, purgeIdleCounters, releaseAttempt, rememberAddress, takeAttempt } from '../store/sign-in-throttle.ts';

export interface SignInAttempt {
  readonly tenantId: string;
  readonly email: string;
  readonly password: string;
  /** The client's own address (Fastify's request.ip: behind TRUST_PROXY, the forwarded one). */
  readonly address: string;
  readonly now: Date;
}

/**
 * Checks a console sign-in against the password and the throttles every node shares (issue 10
 * §4): per account and per client address, each attempt is counted before the password is
 * checked (so concurrent guesses on any number of nodes each take their own slot), failures make
 * the next attempt wait longer, and enough of them lock the key for a while.
 *
 * Smart lockout: the account's failures are counted apart for addresses the admin signed in from
 * before (familiar) and for all others, and an attempt is held only by the counter of its own
 * kind, so a flood from elsewhere does not keep the admin out of their usual address.
 * Answers the admin's row, or throws 401 (wrong e-mail or password, one message for both) or
 * 429 with `retryAfterSeconds`.
 */
export async function checkSignIn(ctx: AppContext, attempt: SignInAttempt) {
  const { db } = ctx.store;
  const { now } = attempt;
  const email = normalizeAdminEmail(attempt.email);
  const user = await findAdminForLogin(db, attempt.tenantId, email);
  const addressHash = ctx.vault.fingerprint('sign-in-address', attempt.address);
  const familiar = user ? await isFamiliarAddress(db, user.id, addressHash, now) : false;
  const accountKey = `account:${ctx.vault.fingerprint('sign-in-account', `${attempt.tenantId}\0${email}`)}:${familiar ? 'familiar' : 'unfamiliar'}`;
  const addressKey = `address:${addressHash}`;

  await take(ctx, accountKey, ACCOUNT_POLICY, now, []);
  await take(ctx, addressKey, ADDRESS_POLICY, now, [accountKey]);

  // Unknown e-mail or wrong password take the same time and give the same answer.
  const ok = await verifyPassword(attempt.password, user?.password_hash ?? (await dummyHash()));
  if (!user || !ok) {
    await purgeIdleCounters(db, Math.max(ACCOUNT_POLICY.windowMs, ADDRESS_POLICY.windowMs), now);
    throw new ApiError(401, 'invalid_credentials', 'The email or password is not correct.');
  }
  await clearKey(db, accountKey);
  await releaseAttempt(db, addressKey);
  await rememberAddress(db, user.id, addressHash, now);
  return user;
}

/** Takes a slot on a key, or gives back the slots already taken and answers 429. */
async function take(ctx: AppContext, key: string, policy: ThrottlePolicy, now: Date, taken: readonly string[]): Promise<void> {
  const result = await takeAttempt(ctx.store.db, key, policy, now);
  if (result.allowed) return;
  for (const k of taken) await releaseAttempt(ctx.store.db, k);
  const seconds = Math.ceil(result.retryAfterMs / 1000);
  const wait = seconds >= 120 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} second${seconds === 1 ? '' : 's'}`;
  throw new ApiError(429, 'too_many_attempts', `Too many failed sign-ins. Try again in ${wait}.`, { retryAfterSeconds: seconds });
}
