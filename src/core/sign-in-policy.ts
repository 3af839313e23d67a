/**
 * How failed console sign-ins slow down and then stop further guesses (issue 10 §4). Pure: the
 * store applies it atomically to counters every API node shares.
 *
 * A counter's first `free` failures cost nothing; each later one makes the next attempt wait
 * twice as long (1 s, 2 s, 4 s … up to `maxDelayMs`); at `lockAt` failures the key is locked for
 * `lockMs`. A counter restarts once `windowMs` pass without a failure.
 */
export interface ThrottlePolicy {
  readonly free: number;
  readonly lockAt: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly lockMs: number;
  readonly windowMs: number;
}

/**
 * Per account: 3 free guesses, then 1, 2, 4 … 32 s between guesses, locked for 15 minutes at the
 * 10th failure. Smart lockout keeps two such counters per account, one for the addresses the admin
 * signed in from before and one for every other address, so a flood from elsewhere locks only the
 * second (as Microsoft Entra ID's smart lockout keeps familiar and unfamiliar locations apart).
 */
export const ACCOUNT_POLICY: ThrottlePolicy = { free: 3, lockAt: 10, baseDelayMs: 1000, maxDelayMs: 60_000, lockMs: 15 * 60_000, windowMs: 15 * 60_000 };

/**
 * Per client address (each client's own behind a trusted proxy): password spraying across
 * accounts from one address. Looser, since an office behind one NAT address shares it.
 */
export const ADDRESS_POLICY: ThrottlePolicy = { free: 20, lockAt: 50, baseDelayMs: 1000, maxDelayMs: 60_000, lockMs: 15 * 60_000, windowMs: 15 * 60_000 };

/** How long after the `failures`-th failure the next attempt must wait (0 for the free ones). */
export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  if (failures >= policy.lockAt) return policy.lockMs;
  if (failures <= policy.free) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - policy.free - 1));
}
