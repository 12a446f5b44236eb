/** Metadata key: the properties of an input class that hold bulk lists. */
export const BULK_LIST_PROPERTIES = Symbol('sigfed:bulk-list-properties');

/**
 * Marks a list property whose items the global validation pipe must pass
 * through untouched: no class-transformer copy and no class-validator walk
 * over each item. Use it only where the items are fully checked elsewhere
 * (GraphQL coercion of their types and scalars, then a single-pass
 * validator in the service), as submitIndicators does for 10,000 items.
 * The property's own decorators (@IsArray...) still run.
 */
export function BulkList(): PropertyDecorator {
  return (target, property) => {
    const ctor = target.constructor;
    const existing: (string | symbol)[] = Reflect.getOwnMetadata(BULK_LIST_PROPERTIES, ctor) ?? [];
    Reflect.defineMetadata(BULK_LIST_PROPERTIES, [...existing, property], ctor);
  };
}

/** The bulk-list properties declared on a class (and its parents). */
export function bulkListProperties(type: unknown): (string | symbol)[] {
  if (typeof type !== 'function') return [];
  return (Reflect.getMetadata(BULK_LIST_PROPERTIES, type) as (string | symbol)[] | undefined) ?? [];
}
