import { readFileSync } from 'node:fs';
import { fmt } from './stats.js';

/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`, or `npm run bench --
 * --profile`): where the samples' self time went, by package and by
 * function. Usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** node_modules/<pkg>, sigfed's own libs/apps, node internals, or V8's pseudo-frames. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const own = /\/dist\/((?:apps|libs|bench)\/[^/]+)/.exec(url);
  if (own) return `sigfed ${own[1]}`;
  return url.replace(/^file:\/\//, '');
}

/** Self time in ms by package and by function, busiest first. */
export function summarize(profile: CpuProfile): { totalMs: number; byPackage: [string, number][]; byFunction: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const fn =
      `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].map(([k, v]) => [k, v / 1000] as [string, number]).sort((a, b) => b[1] - a[1]);
  return { totalMs: total / 1000, byPackage: sorted(byPackage), byFunction: sorted(byFunction) };
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]');
    process.exitCode = 2;
    return;
  }
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { totalMs, byPackage, byFunction } = summarize(profile);
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  console.log(`${file}: ${fmt(totalMs)} ms on CPU (not idle) over ${fmt(wallMs)} ms of wall time\n`);
  console.log('self time by package:');
  for (const [name, ms] of byPackage.slice(0, top))
    console.log(`  ${fmt((ms / totalMs) * 100, 1).padStart(5)}%  ${fmt(ms).padStart(8)} ms  ${name}`);
  console.log('\nself time by function:');
  for (const [name, ms] of byFunction.slice(0, top))
    console.log(`  ${fmt((ms / totalMs) * 100, 1).padStart(5)}%  ${fmt(ms).padStart(8)} ms  ${name}`);
}

if (process.argv[1]?.endsWith('profile-summary.js')) main();
