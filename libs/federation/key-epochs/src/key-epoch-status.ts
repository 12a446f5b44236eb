import { registerEnumType } from '@nestjs/graphql';

/** Where a key epoch stands in its life. */
export enum OprfKeyStatus {
  UPCOMING = 'UPCOMING',
  ACTIVE = 'ACTIVE',
  RETIRING = 'RETIRING',
  RETIRED = 'RETIRED',
}

registerEnumType(OprfKeyStatus, {
  name: 'OprfKeyStatus',
  description: 'Where a two-key epoch stands in its life.',
  valuesMap: {
    UPCOMING: { description: 'Published before notBefore: members may derive tokens under it ahead of the switch.' },
    ACTIVE: { description: 'Between notBefore and notAfter.' },
    RETIRING: { description: 'After notAfter, while evaluations are still served (KEY_EPOCH_RETIRING_DAYS).' },
    RETIRED: { description: 'No longer evaluated: KEY_EPOCH_RETIRING_DAYS after notAfter, or retired by an operator.' },
  },
});

const DAY_MS = 86_400_000;

/**
 * UPCOMING before notBefore; ACTIVE until notAfter; RETIRING for
 * `retiringDays` after notAfter (evaluations are still served, so members
 * can finish re-deriving); RETIRED after that, or once an operator retired it.
 */
export function keyEpochStatus(
  epoch: { notBefore: Date; notAfter: Date; retiredAt: Date | null },
  retiringDays: number,
  now = new Date(),
): OprfKeyStatus {
  const t = now.getTime();
  if (epoch.retiredAt && epoch.retiredAt.getTime() <= t) return OprfKeyStatus.RETIRED;
  if (t < epoch.notBefore.getTime()) return OprfKeyStatus.UPCOMING;
  if (t < epoch.notAfter.getTime()) return OprfKeyStatus.ACTIVE;
  if (t < epoch.notAfter.getTime() + retiringDays * DAY_MS) return OprfKeyStatus.RETIRING;
  return OprfKeyStatus.RETIRED;
}
