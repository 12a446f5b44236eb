import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { REPORT, type Figure, type Report } from '../operations.js';
import type { Session } from '../session.js';
import { ErrorBox, Section, useLoad } from '../ui.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

const DAY = 86_400_000;
const day = (d: Date) => d.toISOString().slice(0, 10);

function show(figure: Figure, format: (v: number) => string = (v) => v.toLocaleString()): string {
  if (figure.value !== null) return format(figure.value);
  return figure.withheldReason === 'fewer_than_min_members' ? 'withheld (too few members)' : 'no data';
}
const percent = (v: number) => `${Math.round(v * 1000) / 10}%`;
function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

/** A bar chart of indicators and matches by type; withheld figures are left out, and say so in the table. */
function ByTypeChart({ report }: { report: Report }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return undefined;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: report.byType.map((t) => t.type.replace('_', ' ').toLowerCase()),
        datasets: [
          { label: 'Indicators', data: report.byType.map((t) => t.indicators.value ?? 0), backgroundColor: '#3867d6' },
          { label: 'Matches', data: report.byType.map((t) => t.matches.value ?? 0), backgroundColor: '#e17055' },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    return () => chart.destroy();
  }, [report]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label="Indicators and matches by indicator type" />
    </div>
  );
}

function VerdictBar({ report }: { report: Report }) {
  const confirmed = report.confirmedShare.value;
  const falsePositive = report.falsePositiveShare.value;
  if (confirmed === null || falsePositive === null) return null;
  const rest = Math.max(0, 1 - confirmed - falsePositive);
  return (
    <div class="verdicts" role="img" aria-label={`Alerts: ${percent(confirmed)} confirmed, ${percent(falsePositive)} false positive`}>
      <meter class="meter-confirmed" min={0} max={1} value={confirmed} title="confirmed" />
      <span>
        {percent(confirmed)} confirmed · {percent(falsePositive)} false positive · {percent(rest)} no verdict or under review
      </span>
    </div>
  );
}

/** The federation report for a chosen period, k-anonymous as the API returns it. */
export function ReportPage({ session }: { session: Session }) {
  const [from, setFrom] = useState(day(new Date(Date.now() - 30 * DAY)));
  const [to, setTo] = useState(day(new Date(Date.now() + DAY)));
  const report = useLoad(
    async () =>
      (await session.gql<{ federationReport: Report }>(REPORT, { from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` })).federationReport,
    [from, to],
  );
  const r = report.data;
  return (
    <>
      <Section title="Federation report">
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            From
            <input type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
          </label>
          <label>
            To (exclusive)
            <input type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
          </label>
        </form>
        <ErrorBox error={report.error} />
        {r ? (
          <>
            <p class="muted">No figure drawn from fewer than {r.minMembers} members is shown (MATCH_MIN_MEMBERS).</p>
            <div class="tiles">
              <div class="tile">
                <span class="tile-value">{show(r.activeMembers)}</span>
                <span class="tile-label">active members</span>
              </div>
              <div class="tile">
                <span class="tile-value">{show(r.alerts)}</span>
                <span class="tile-label">alerts</span>
              </div>
              <div class="tile">
                <span class="tile-value">{show(r.medianSecondsToFirstMatch, duration)}</span>
                <span class="tile-label">median time to first match</span>
              </div>
              <div class="tile">
                <span class="tile-value">{show(r.common)}</span>
                <span class="tile-label">common tokens</span>
              </div>
              <div class="tile">
                <span class="tile-value">{r.suppressed.toLocaleString()}</span>
                <span class="tile-label">tokens suppressed</span>
              </div>
            </div>
            <VerdictBar report={r} />
          </>
        ) : null}
      </Section>
      {r ? (
        <Section title="By indicator type">
          <ByTypeChart report={r} />
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Indicators</th>
                <th scope="col">Matches</th>
              </tr>
            </thead>
            <tbody>
              {r.byType.map((t) => (
                <tr>
                  <td>{t.type}</td>
                  <td>{show(t.indicators)}</td>
                  <td>{show(t.matches)}</td>
                </tr>
              ))}
              <tr>
                <td>Confirmed share</td>
                <td colSpan={2}>{show(r.confirmedShare, percent)}</td>
              </tr>
              <tr>
                <td>False positive share</td>
                <td colSpan={2}>{show(r.falsePositiveShare, percent)}</td>
              </tr>
            </tbody>
          </table>
        </Section>
      ) : null}
      {r && r.disclosedMembers.length ? (
        <Section title="Members that disclosed their identity">
          <table class="list">
            <tbody>
              {r.disclosedMembers.map((m) => (
                <tr>
                  <td>{m.name}</td>
                  <td>{m.indicators.toLocaleString()} indicators</td>
                  <td>{m.matched.toLocaleString()} matched</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      ) : null}
    </>
  );
}
