// The similarity phase's corpus quality alone, without a database or the 1M-signature lookup
// (which `npm run bench -- --phases similarity` adds): build, then
//   node dist/bench/template-quality.js [--quick] [--keys N] [--out file.json]
// --keys N also signs the corpus under N random federation keys, to show how much of each
// language's recall is one key's luck.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { describeTemplateQuality, measureTemplateQuality } from './template-similarity.js';

const args = process.argv.slice(2);
const valueOf = (flag: string) => {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
};
const quick = args.includes('--quick');
const otherKeys = Number(valueOf('--keys') ?? 0);
const out = valueOf('--out');
if (!Number.isInteger(otherKeys) || otherKeys < 0) throw new Error('--keys takes a whole number');

const loadAtStart = loadavg()[0];
const result = measureTemplateQuality({ quick, otherKeys });
for (const line of describeTemplateQuality(result)) console.log(line);
console.log(`  load average ${loadAtStart.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end`);
if (out !== undefined) {
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), loadAverageAtStart: loadAtStart, templateQuality: result }, null, 2)}\n`,
  );
  console.log(`  written to ${out}`);
}
