import type { Safeguard } from './integration-settings.ts';

export interface SafeguardVerdict {
  readonly blocked: boolean;
  readonly threshold: number;
  readonly reason: string;
}

/**
 * A run may deactivate at most `threshold` people: more than maxDeactivationPercent of the
 * source's active linked people blocks it (only when there are at least minPopulation of them),
 * and so does more than maxDeactivations when set. Exactly at the threshold is allowed.
 */
export function checkSafeguard(settings: Safeguard, activeLinked: number, deactivations: number): SafeguardVerdict {
  const limits: { limit: number; label: string }[] = [];
  if (activeLinked >= settings.minPopulation) {
    limits.push({ limit: Math.floor((activeLinked * settings.maxDeactivationPercent) / 100), label: `${settings.maxDeactivationPercent} % of ${activeLinked} active people` });
  }
  if (settings.maxDeactivations !== null) limits.push({ limit: settings.maxDeactivations, label: `the cap of ${settings.maxDeactivations}` });
  if (limits.length === 0) {
    return { blocked: false, threshold: Infinity, reason: `${deactivations} deactivations; the safeguard applies from ${settings.minPopulation} active people (this source has ${activeLinked}) and no cap is set` };
  }
  const tightest = limits.reduce((a, b) => (b.limit < a.limit ? b : a));
  if (deactivations > tightest.limit) {
    return {
      blocked: true,
      threshold: tightest.limit,
      reason: `This run would deactivate ${deactivations} people, more than ${tightest.limit} (${tightest.label}).`,
    };
  }
  return { blocked: false, threshold: tightest.limit, reason: `${deactivations} deactivations, within the limit of ${tightest.limit}` };
}
