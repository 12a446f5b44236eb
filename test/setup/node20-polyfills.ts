/**
 * Vitest 5 targets Node 22 and calls Map.groupBy / Object.groupBy (Node 21+)
 * when it reports failures; on Node 20 the reporter itself would crash and
 * hide the failure. These follow the ES2024 definitions.
 */
type KeyFn<T, K> = (item: T, index: number) => K;

if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true,
    writable: true,
    value<T, K>(items: Iterable<T>, keyFn: KeyFn<T, K>): Map<K, T[]> {
      const groups = new Map<K, T[]>();
      let index = 0;
      for (const item of items) {
        const key = keyFn(item, index++);
        const group = groups.get(key);
        if (group) group.push(item);
        else groups.set(key, [item]);
      }
      return groups;
    },
  });
}

if (typeof (Object as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Object, 'groupBy', {
    configurable: true,
    writable: true,
    value<T>(items: Iterable<T>, keyFn: KeyFn<T, PropertyKey>): Record<PropertyKey, T[]> {
      const groups: Record<PropertyKey, T[]> = Object.create(null);
      let index = 0;
      for (const item of items) (groups[keyFn(item, index++)] ??= []).push(item);
      return groups;
    },
  });
}

export {};
