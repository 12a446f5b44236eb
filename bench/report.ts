import { describeOprf, type OprfBenchResult } from './oprf.js';
import { describeSimilarity, type SimilarityBenchResult } from './similarity.js';
import { describeTemplateQuality, type TemplateQualityResult } from './template-similarity.js';
import { describeTwoKey, type TwoKeyBenchResult } from './two-key.js';
import type { CpuSnapshot } from './fleet.js';
import type { CampaignBenchResult } from './campaigns.js';
import type { IngestResult } from './ingest.js';
import type { LatencyResult } from './latency.js';
import type { ReadsResult } from './reads.js';
import { fmt, sizeLabel } from './stats.js';

/** 1 MB = 1,000,000 bytes throughout, as the targets are stated. */
export const MB = 1_000_000;

/** What was measured at one stored size. */
export interface LevelResult {
  stored: number;
  preload: { rowsAdded: number; seconds: number };
  ingest: { batchSize: number; storedAtStart: number; server: IngestResult; baseline: IngestResult; partitioned?: IngestResult }[];
  reads?: ReadsResult;
  /** Why the reads phase produced no figure, when it failed. */
  readsError?: string;
  disk: {
    rows: number;
    bytesPerMillion: number;
    heapBytes: number;
    indexBytes: number;
    baselineBytesPerMillion: number;
    partitionedBytesPerMillion?: number;
  };
}

/** Everything a run produced; written as JSON and printed as a table. */
export interface BenchReport {
  date: string;
  mode: 'quick' | 'full' | 'custom';
  processes: number;
  /** Hash partitions of the partitioned baseline copy, when one was tried. */
  partitions?: number;
  machine: Record<string, string | number>;
  method: string[];
  levels: LevelResult[];
  latency: (LatencyResult & { stored: number })[];
  costGrowth?: { from: number; to: number; batchSize: number; server: number; baseline: number; partitioned?: number }[];
  rss: { process: string; idleBytes: number; peakSampledBytes: number; hwmBytes: number }[];
  /** The OPRF phase (two-key tokens): evaluations per core through the server's pool and bare. */
  oprf?: OprfBenchResult;
  /** One against two API processes, same run, same workers (phase api-processes). */
  apiProcesses?: ApiProcessesResult[];
  /** End-to-end submission through the SDK under an HMAC and a TWO_KEY epoch (phase two-key). */
  twoKey?: TwoKeyBenchResult;
  /** The similar-templates phase (bench/similarity.ts). */
  similarity?: SimilarityBenchResult;
  /** Recall and precision of similar-template matching on the seeded corpus, and the SDK's cost (phase similarity, bench/template-similarity.ts). */
  templateQuality?: TemplateQualityResult;
  /** The campaign phase (bench/campaigns.ts). */
  campaigns?: CampaignBenchResult;
  rows: Row[];
  /** Phases that failed (their figures are missing), with the reason. */
  failures: string[];
  correct: boolean;
  seconds: number;
}

/** Reads and ingest with `apiProcesses` API processes taking the requests (phase api-processes). */
export interface ApiProcessesResult {
  apiProcesses: number;
  /** First alerts pages per second (8 clients spread over the processes), and the public serverInfo floor. */
  readsQps: number;
  floorQps: number | undefined;
  /** Indicators per second from the first request to the last alert row; and to the last answer (the API side alone). */
  ingestRate: number;
  ingestRequestRate: number;
  cpuUsPerItem: CpuSnapshot;
  correct: boolean;
}

/** The api-processes lines of the report. */
export function describeApiProcesses(runs: readonly ApiProcessesResult[]): string[] {
  const lines = runs.map(
    (r) =>
      `  ${r.apiProcesses} API process(es): alerts page ${fmt(r.readsQps)} queries/s, serverInfo floor ${r.floorQps === undefined ? 'n/a' : fmt(r.floorQps)}/s; ` +
      `ingest ${fmt(r.ingestRate)} indicators/s to the last alert (${fmt(r.ingestRequestRate)}/s to the last answer), ` +
      `API CPU ${fmt(r.cpuUsPerItem.api, 1)} us/indicator${r.correct ? '' : ' (!)'}`,
  );
  const [one, two] = runs;
  if (one && two) {
    lines.push(
      `  two over one: reads x${fmt(two.readsQps / one.readsQps, 2)}, floor x${one.floorQps && two.floorQps ? fmt(two.floorQps / one.floorQps, 2) : 'n/a'}, ` +
        `ingest x${fmt(two.ingestRate / one.ingestRate, 2)} (to the last answer x${fmt(two.ingestRequestRate / one.ingestRequestRate, 2)})`,
    );
  }
  return lines;
}

/** One printed line: a server figure, its same-run baseline and their ratio, against the target. */
export interface Row {
  measure: string;
  stored: string;
  server: string;
  baseline: string;
  ratio: string;
  target: string;
  met: 'yes' | 'NO' | '';
}

const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? fmt(a / b, 2) : 'n/a');

/** The table rows for a report, with each target judged. */
export function buildRows(report: Omit<BenchReport, 'rows' | 'correct' | 'seconds' | 'failures'>): Row[] {
  const rows: Row[] = [];
  const target1M = report.levels.find((l) => l.stored === 1_000_000) ? 1_000_000 : undefined;
  for (const level of report.levels) {
    for (const { batchSize, storedAtStart, server, baseline } of level.ingest) {
      const r = server.rate / baseline.rate;
      const judged = level.stored === target1M || (!target1M && level === report.levels.at(-1));
      rows.push({
        measure: `Ingest, ${fmt(batchSize)}/batch (indicators/s)`,
        stored: sizeLabel(level.stored) + (storedAtStart !== level.stored ? ` (${fmt(storedAtStart / 1e6, 2)}M)` : ''),
        server: fmt(server.rate) + (server.correct ? '' : ' (!)'),
        baseline: fmt(baseline.rate),
        ratio: ratio(server.rate, baseline.rate),
        target: judged ? '>= 0.60 x baseline' : '',
        met: judged ? (r >= 0.6 ? 'yes' : 'NO') : '',
      });
    }
  }
  for (const level of report.levels) {
    for (const { batchSize, server, baseline } of level.ingest) {
      const c = server.cpuUsPerItem;
      const total = c.api + c.worker + c.postgres;
      rows.push({
        measure: `Ingest CPU per indicator, ${fmt(batchSize)}/batch (us)`,
        stored: sizeLabel(level.stored),
        server: `${fmt(total, 1)} (API ${fmt(c.api, 0)} + worker ${fmt(c.worker, 0)} + PG ${fmt(c.postgres, 0)})`,
        baseline: `${fmt(baseline.cpuUsPerItem.postgres, 1)} (PG)`,
        ratio: ratio(total, baseline.cpuUsPerItem.postgres),
        target: '',
        met: '',
      });
    }
  }
  for (const level of report.levels) {
    for (const { batchSize, baseline, partitioned } of level.ingest) {
      if (!partitioned) continue;
      rows.push({
        measure: `Partitioned copy (${report.partitions} x HASH(token)), baseline statement, ${fmt(batchSize)}/batch (indicators/s)`,
        stored: sizeLabel(level.stored),
        server: fmt(partitioned.rate),
        baseline: fmt(baseline.rate),
        ratio: ratio(partitioned.rate, baseline.rate),
        target: 'information',
        met: '',
      });
    }
  }
  for (const g of report.costGrowth ?? []) {
    rows.push({
      measure: `Cost growth ${sizeLabel(g.from)}->${sizeLabel(g.to)}, ${fmt(g.batchSize)}/batch`,
      stored: `${sizeLabel(g.from)}->${sizeLabel(g.to)}`,
      server: `x${fmt(g.server, 2)}`,
      baseline: `x${fmt(g.baseline, 2)}`,
      ratio: ratio(g.server, g.baseline),
      target: '<= baseline x 1.10',
      met: g.server <= g.baseline * 1.1 ? 'yes' : 'NO',
    });
    if (g.partitioned !== undefined) {
      rows.push({
        measure: `Cost growth ${sizeLabel(g.from)}->${sizeLabel(g.to)}, ${fmt(g.batchSize)}/batch, partitioned copy vs plain baseline`,
        stored: `${sizeLabel(g.from)}->${sizeLabel(g.to)}`,
        server: `x${fmt(g.partitioned, 2)}`,
        baseline: `x${fmt(g.baseline, 2)}`,
        ratio: ratio(g.partitioned, g.baseline),
        target: 'information',
        met: '',
      });
    }
  }
  for (const l of report.latency) {
    const ms = (n: number) => `${fmt(n, 0)} ms`;
    const p = (name: 'p50' | 'p95' | 'p99', limit?: number) => {
      rows.push({
        measure: `Alert latency ${name}, ${fmt(l.batchSize)}/batch${l.observer === 'alert-row' ? ' (to alert row)' : ' (to webhook)'}`,
        stored: sizeLabel(l.stored),
        server: ms(l.server[name]),
        baseline: ms(l.baseline[name]),
        ratio: ratio(l.server[name], l.baseline[name]),
        target: limit ? `<= ${fmt(limit)} ms` : '',
        met: limit ? (l.server[name] <= limit ? 'yes' : 'NO') : '',
      });
    };
    p('p50', l.batchSize <= 1_000 ? 50 : undefined);
    p('p95');
    p('p99', l.batchSize <= 1_000 ? 250 : 1_000);
    if (l.toAlertRow) {
      const r = l.toAlertRow;
      rows.push({
        measure: `  of which to the alert row, ${fmt(l.batchSize)}/batch (p50 / p99)`,
        stored: sizeLabel(l.stored),
        server: `${ms(r.p50)} / ${ms(r.p99)}`,
        baseline: `${ms(l.baseline.p50)} / ${ms(l.baseline.p99)}`,
        ratio: `${ratio(r.p50, l.baseline.p50)} / ${ratio(r.p99, l.baseline.p99)}`,
        target: 'information',
        met: '',
      });
    }
  }
  for (const level of report.levels) {
    if (level.readsError) {
      rows.push({
        measure: `Reads: alerts page, 8 clients (queries/s)`,
        stored: sizeLabel(level.stored),
        server: 'FAILED',
        baseline: '',
        ratio: '',
        target: '>= 3,000/s',
        met: 'NO',
      });
    }
    if (!level.reads) continue;
    const { server, baseline, clients } = level.reads;
    rows.push({
      measure: `Reads: alerts page, ${clients} clients (queries/s)`,
      stored: sizeLabel(level.stored),
      server: fmt(server.qps) + (server.failed ? ` (${fmt(server.failed)} failed)` : ''),
      baseline: fmt(baseline.qps),
      ratio: ratio(server.qps, baseline.qps),
      target: '>= 3,000/s',
      met: server.qps >= 3_000 && server.failed === 0 ? 'yes' : 'NO',
    });
    rows.push({
      measure: '  CPU per alerts page (API / PostgreSQL, ms)',
      stored: sizeLabel(level.stored),
      server: `${fmt(server.cpuMsPerRequest.api, 2)} / ${fmt(server.cpuMsPerRequest.postgres, 2)}`,
      baseline: '',
      ratio: '',
      target: 'PostgreSQL <= 0.5 ms',
      met: server.cpuMsPerRequest.postgres <= 0.5 ? 'yes' : 'NO',
    });
    if (level.reads.alertsPerMember) {
      rows.push({
        measure: '  alerts held by the reading members',
        stored: sizeLabel(level.stored),
        server: level.reads.alertsPerMember.map((n) => fmt(n)).join(' / '),
        baseline: '',
        ratio: '',
        target: 'information',
        met: '',
      });
    }
    const { priority } = level.reads;
    if (priority) {
      rows.push({
        measure: `  the same page by priority (orderBy: PRIORITY), ${clients} clients`,
        stored: sizeLabel(level.stored),
        server: fmt(priority.qps) + (priority.failed ? ` (${fmt(priority.failed)} failed)` : ''),
        baseline: '',
        ratio: ratio(priority.qps, server.qps),
        target: '>= 3,000/s',
        met: priority.qps >= 3_000 && priority.failed === 0 ? 'yes' : 'NO',
      });
      rows.push({
        measure: '    CPU per page by priority (API / PostgreSQL, ms)',
        stored: sizeLabel(level.stored),
        server: `${fmt(priority.cpuMsPerRequest.api, 2)} / ${fmt(priority.cpuMsPerRequest.postgres, 2)}`,
        baseline: '',
        ratio: '',
        target: 'PostgreSQL <= 0.5 ms',
        met: priority.cpuMsPerRequest.postgres <= 0.5 ? 'yes' : 'NO',
      });
    }
    for (const v of level.reads.variants ?? []) {
      rows.push({
        measure: `  ${v.label} (queries/s; API / PostgreSQL ms)`,
        stored: sizeLabel(level.stored),
        server:
          `${fmt(v.qps)}; ${fmt(v.cpuMsPerRequest.api, 2)} / ${fmt(v.cpuMsPerRequest.postgres, 2)}` +
          (v.failed ? ` (${fmt(v.failed)} failed)` : ''),
        baseline: '',
        ratio: ratio(v.qps, server.qps),
        target: 'PostgreSQL <= 0.5 ms',
        met: v.cpuMsPerRequest.postgres <= 0.5 && v.failed === 0 ? 'yes' : 'NO',
      });
    }
    const { floor } = level.reads;
    if (floor) {
      rows.push({
        measure: `  public serverInfo, ${clients} clients (floor of any query)`,
        stored: sizeLabel(level.stored),
        server: `${fmt(floor.qps)}/s, API ${fmt(floor.cpuMsPerRequest.api, 2)} ms` + (floor.failed ? ` (${fmt(floor.failed)} failed)` : ''),
        baseline: '',
        ratio: ratio(server.qps, floor.qps),
        target: 'alerts >= 0.5 x floor',
        met: server.qps >= 0.5 * floor.qps ? 'yes' : 'NO',
      });
    }
  }
  for (const p of report.rss) {
    // A process started after the 10,000-item batches (the api-processes phase's second API) has no such peak.
    if (p.peakSampledBytes > 0)
      rows.push({
        measure: `Peak RSS, ${p.process}, 10,000-item batches in flight`,
        stored: 'all',
        server: `${fmt(p.peakSampledBytes / MB)} MB`,
        baseline: `${fmt(p.idleBytes / MB)} MB idle`,
        ratio: ratio(p.peakSampledBytes, p.idleBytes),
        target: '<= 300 MB',
        met: p.peakSampledBytes <= 300 * MB ? 'yes' : 'NO',
      });
    rows.push({
      measure: `  highest RSS of ${p.process} in the whole run (VmHWM)`,
      stored: 'all',
      server: `${fmt(p.hwmBytes / MB)} MB`,
      baseline: `${fmt(p.idleBytes / MB)} MB idle`,
      ratio: ratio(p.hwmBytes, p.idleBytes),
      target: 'information',
      met: '',
    });
  }
  for (const level of report.levels) {
    rows.push({
      measure: 'Disk per million indicators (table + indexes)',
      stored: sizeLabel(level.stored) + ` (${fmt(level.disk.rows / 1e6, 2)}M)`,
      server: `${fmt(level.disk.bytesPerMillion / MB)} MB`,
      baseline: `${fmt(level.disk.baselineBytesPerMillion / MB)} MB`,
      ratio: ratio(level.disk.bytesPerMillion, level.disk.baselineBytesPerMillion),
      target: '<= 250 MB',
      met: level.disk.bytesPerMillion <= 250 * MB ? 'yes' : 'NO',
    });
    if (level.disk.partitionedBytesPerMillion !== undefined) {
      rows.push({
        measure: `Disk per million, partitioned copy vs plain baseline`,
        stored: sizeLabel(level.stored),
        server: `${fmt(level.disk.partitionedBytesPerMillion / MB)} MB`,
        baseline: `${fmt(level.disk.baselineBytesPerMillion / MB)} MB`,
        ratio: ratio(level.disk.partitionedBytesPerMillion, level.disk.baselineBytesPerMillion),
        target: 'information',
        met: '',
      });
    }
  }
  return rows;
}

/** The report as text: header, method, the table, then what each measure means. */
export function renderReport(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(
    `Sigfed benchmark, ${report.date} (${report.mode} run, ${report.processes} API + ${report.processes} worker process(es), ${fmt(report.seconds / 60, 1)} min)`,
  );
  lines.push(`Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memory}, ${m.os}; Node ${m.node}; PostgreSQL ${m.postgres}; Redis ${m.redis}`);
  lines.push(
    `Load average (1 min) at start ${m.loadAverageAtStart}, at end ${m.loadAverageAtEnd}${Number(m.loadAverageAtStart) > 0.5 ? ': OTHER LOAD WAS PRESENT, rates are understated' : ''}`,
  );
  lines.push('');
  for (const line of report.method) lines.push(`- ${line}`);
  lines.push('');
  const header: Row = {
    measure: 'Measure',
    stored: 'Stored',
    server: 'Server',
    baseline: 'Baseline',
    ratio: 'Ratio',
    target: 'Target',
    met: 'Met' as Row['met'],
  };
  const all = [header, ...report.rows];
  const keys = Object.keys(header) as (keyof Row)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => String(r[k]).length))])) as Record<keyof Row, number>;
  const numeric = new Set<keyof Row>(['server', 'baseline', 'ratio']);
  const line = (r: Row) =>
    keys
      .map((k) => (numeric.has(k) && r !== header ? String(r[k]).padStart(width[k]) : String(r[k]).padEnd(width[k])))
      .join('  ')
      .trimEnd();
  lines.push(line(header));
  lines.push(keys.map((k) => '-'.repeat(width[k])).join('  '));
  for (const r of report.rows) lines.push(line(r));
  if (report.twoKey) {
    lines.push(
      '',
      `Two-key tokens (${fmt(report.twoKey.values)} ACCOUNT_SIGNAL values through the SDK, hashing to acknowledged submission):`,
    );
    lines.push(...describeTwoKey(report.twoKey));
  }
  if (report.apiProcesses?.length) {
    lines.push('', 'One against two API processes (same run and workers; clients and submitters spread over the processes):');
    lines.push(...describeApiProcesses(report.apiProcesses));
  }
  if (report.similarity) {
    lines.push('', "Similar templates (the server's statements on a database of their own):");
    lines.push(...describeSimilarity(report.similarity));
  }
  lines.push('');
  lines.push('What the figures mean:');
  lines.push('- Ingest: indicators per second from the first submitIndicators request to the last alert row written (server), or from the');
  lines.push(
    '  first to the last baseline statement (baseline: one hand-written upsert + match-join statement per batch through pg). Ratio = server / baseline.',
  );
  lines.push(
    '  "Stored" is the size the level was loaded to; in brackets, the rows present when that phase started. (!) marks a phase whose counts were wrong.',
  );
  lines.push(
    '- Ingest CPU: CPU time (user + system, from /proc) the API processes, the workers and all PostgreSQL processes used during the',
  );
  lines.push(
    '  phase, per indicator; the baseline uses PostgreSQL only. It is what the 2 cores are spent on, and is little disturbed by other load.',
  );
  lines.push('- Cost growth: per-indicator cost (1 / rate) at the larger size divided by the cost at the smaller; x1.00 = no growth.');
  lines.push('- Alert latency: per alert, from the HTTP answer to the submission that caused it (sent right after its commit) to the');
  lines.push(
    '  arrival the row names; baseline: commit of the upsert -> the match-join statement done, as a hand-written pipeline would do it.',
  );
  lines.push('- Reads: first page (20) of `alerts` per second, each client one member, keep-alive; baseline: the same SQL through pg.');
  lines.push(
    '  The floor row: the same clients asking the public `{ serverInfo { issuer } }` (no token, database or Redis): what the HTTP and',
  );
  lines.push('  GraphQL stack alone costs a request, so no authenticated query can go faster; its ratio is the alerts rate over that.');
  lines.push(
    '- Peak RSS: the highest VmRSS sampled every 50 ms while 10,000-item batches were in flight; VmHWM is the peak over the whole run',
  );
  lines.push('  (latency and read phases included); baseline: RSS when idle after start.');
  lines.push(
    '- Disk: pg_total_relation_size(indicators) (heap, TOAST, all indexes) per million rows; baseline: its own table with the same shape.',
  );
  lines.push('- 1 MB = 1,000,000 bytes.');
  lines.push('');
  if (report.oprf) lines.push(...describeOprf(report.oprf), '');
  if (report.templateQuality) lines.push(...describeTemplateQuality(report.templateQuality), '');
  for (const failure of report.failures) lines.push(`FAILED: ${failure}`);
  lines.push(
    report.correct
      ? 'Correctness: every server phase stored and alerted exactly what it should (accepted, duplicates, alert rows, open matches).'
      : 'Correctness: SOME SERVER PHASES WERE WRONG: see "correct": false in the JSON.',
  );
  return lines.join('\n');
}
