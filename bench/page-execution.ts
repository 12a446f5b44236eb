import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, execute, parse, validate, type ExecutionResult, type GraphQLEnumType, type GraphQLScalarType } from 'graphql';
import { Alert } from '@app/alerts';
import { DateTimeScalar, encodeCursor, projectRoot, toConnection, type ConnectionShape } from '@app/common';
import { AlertStatus, IndicatorType, MatchKind } from '@app/database';
import { ALERTS_PAGE } from './reads.js';

/**
 * CPU of executing the bench's `alerts` page document (20 alerts x 19
 * fields) in this process, apart from HTTP, the database and Redis:
 * graphql-js's `execute` as Apollo runs it, the answer's `JSON.stringify`,
 * and a hand-written projection of the same answer (property reads and the
 * schema's serializers: what a compiling executor such as graphql-jit
 * reduces execution to, so the most it could save). The schema is the
 * committed schema.gql (test/graphql-schema.test.ts keeps it current) with
 * the API's DateTime serializer. Usage: node dist/bench/page-execution.js [pages]
 */

const hour = new Date(Date.UTC(2026, 11, 4, 10));

function alertOf(i: number): Alert {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    status: AlertStatus.OPEN,
    version: 3,
    type: IndicatorType.IP_RANGE,
    keyEpoch: '2026-12',
    token: 'a'.repeat(64),
    externalRef: i % 2 ? `ref-${i}` : null,
    otherHolderCount: 2,
    firstSeenAt: hour,
    lastSeenAt: hour,
    disclosedHolders: i % 5 ? [] : ['lab-b'],
    verdictCounts: { confirmedAbuse: 0, falsePositive: 1, underReview: 0 },
    verdict: null,
    verdictNote: null,
    acknowledgedAt: null,
    matchKind: MatchKind.EXACT,
    similarity: null,
    createdAt: hour,
    updatedAt: hour,
    closedAt: null,
    closeReason: null,
    lastObservedOn: '2026-12-04',
    priority: 40,
  };
}

/** A first page as AlertsService.list returns it: 21 rows fetched, 20 shown. */
function page(): ConnectionShape<Alert> {
  const rows = Array.from({ length: 21 }, (_, i) => alertOf(i));
  return toConnection(rows, 20, (r) => encodeCursor('alerts', [r.id]));
}

function cpuMicros(run: () => void, times: number): number {
  const before = process.cpuUsage();
  for (let i = 0; i < times; i++) run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / times;
}

function main(): void {
  const pages = Number(process.argv[2] ?? 20_000);
  const schema = buildSchema(readFileSync(join(projectRoot(), 'schema.gql'), 'utf8'));
  const dateTime = schema.getType('DateTime') as GraphQLScalarType;
  const scalar = new DateTimeScalar();
  dateTime.serialize = (value: unknown) => scalar.serialize(value);
  const document = parse(ALERTS_PAGE);
  const problems = validate(schema, document);
  if (problems.length > 0) throw new Error(`the page document does not validate: ${problems[0].message}`);
  const run = (): ExecutionResult =>
    execute({ schema, document, rootValue: { alerts: page }, variableValues: { first: 20 } }) as ExecutionResult;

  const enumOf = (name: string) => {
    const type = schema.getType(name) as GraphQLEnumType;
    return (value: unknown) => type.serialize(value);
  };
  const [status, type, verdict] = [enumOf('AlertStatus'), enumOf('IndicatorType'), enumOf('Verdict')];
  const date = dateTime.serialize.bind(dateTime);
  const project = () => {
    const p = page();
    return {
      data: {
        alerts: {
          edges: p.edges.map(({ cursor, node: n }) => ({
            cursor,
            node: {
              id: n.id,
              status: status(n.status),
              version: n.version,
              type: type(n.type),
              keyEpoch: n.keyEpoch,
              token: n.token,
              externalRef: n.externalRef,
              otherHolderCount: n.otherHolderCount,
              firstSeenAt: date(n.firstSeenAt),
              lastSeenAt: date(n.lastSeenAt),
              disclosedHolders: n.disclosedHolders.map(String),
              verdictCounts: { ...n.verdictCounts },
              verdict: n.verdict === null ? null : verdict(n.verdict),
              createdAt: date(n.createdAt),
              updatedAt: date(n.updatedAt),
            },
          })),
          pageInfo: { hasNextPage: p.pageInfo.hasNextPage, endCursor: p.pageInfo.endCursor },
        },
      },
    };
  };
  const answer = run();
  if (answer.errors) throw new Error(`the page failed: ${answer.errors[0].message}`);
  if (JSON.stringify(project()) !== JSON.stringify(answer)) throw new Error('the projection differs from the executed answer');

  const warm = Math.min(pages, 2_000);
  cpuMicros(run, warm);
  cpuMicros(project, warm);
  const built = cpuMicros(page, pages);
  const executed = cpuMicros(run, pages);
  const projected = cpuMicros(project, pages);
  const stringified = cpuMicros(() => JSON.stringify(answer), pages);
  const f = (us: number) => `${us.toFixed(1)} us`;
  console.log(`alerts page (20 x 19 fields, ${JSON.stringify(answer).length} bytes of JSON), CPU per page over ${pages} pages:`);
  console.log(`  building the page (rows to a connection, cursors)  ${f(built)}`);
  console.log(`  graphql-js execute, page included                  ${f(executed)}  (execution ${f(executed - built)})`);
  console.log(`  hand-written projection, page included             ${f(projected)}  (projection ${f(projected - built)})`);
  console.log(`  JSON.stringify of the answer                       ${f(stringified)}`);
}

main();
