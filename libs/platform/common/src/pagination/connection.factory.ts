import type { Type } from '@nestjs/common';
import { Field, ObjectType } from '@nestjs/graphql';
import { PageInfo } from './page-info.model.js';
import { PAGE_SIZE } from './connection.args.js';

/** One edge of a connection. */
export interface EdgeShape<T> {
  cursor: string;
  node: T;
}

/** What a connection resolver returns. */
export interface ConnectionShape<T> {
  edges: EdgeShape<T>[];
  pageInfo: PageInfo;
}

/**
 * Builds `<Name>Edge` and `<Name>Connection` object types for `node`:
 * `class MemberConnection extends Connection(Member) {}`.
 */
export function Connection<T>(node: Type<T>, name: string = node.name): Type<ConnectionShape<T>> {
  @ObjectType(`${name}Edge`, { description: `An edge of a ${name} connection.` })
  class Edge implements EdgeShape<T> {
    @Field({ description: 'Opaque cursor of this edge; pass it as `after` to continue after it.' })
    cursor: string;

    @Field(() => node, { description: `The ${name}.` })
    node: T;
  }

  @ObjectType({ isAbstract: true })
  abstract class ConnectionType implements ConnectionShape<T> {
    @Field(() => [Edge], { description: 'The items of this page, in list order.' })
    edges: Edge[];

    @Field(() => PageInfo, { description: 'Where this page sits in the list.' })
    pageInfo: PageInfo;
  }
  return ConnectionType as Type<ConnectionShape<T>>;
}

/** The page size the arguments ask for, with the default applied. */
export function pageSize(first: number | null | undefined): number {
  return first ?? PAGE_SIZE.default;
}

/**
 * Turns rows fetched with `take: first + 1` into a connection page: the extra
 * row only tells whether a next page exists.
 */
export function toConnection<Row, T = Row>(
  rows: Row[],
  first: number,
  cursorOf: (row: Row) => string,
  toNode: (row: Row) => T = (row) => row as unknown as T,
): ConnectionShape<T> {
  const page = rows.slice(0, first);
  const edges = page.map((row) => ({ cursor: cursorOf(row), node: toNode(row) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
