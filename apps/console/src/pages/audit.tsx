import { useState } from 'preact/hooks';
import { AUDIT_LOG, CHECKPOINT, type AuditEntry } from '../operations.js';
import { ApiError, type Session } from '../session.js';
import { Badge, ErrorBox, Section, useAction, useLoad, when } from '../ui.js';

interface Checkpoint {
  id: string;
  headId: string;
  headHash: string;
  entryCount: number;
  kid: string;
  signedAt: string;
}

/** The audit log, and "verify chain": createAuditCheckpoint verifies the whole chain before it signs its head. */
export function AuditPage({ session }: { session: Session }) {
  const [action, setAction] = useState('');
  const log = useLoad(
    async () =>
      (await session.gql<{ auditLog: { edges: { node: AuditEntry }[] } }>(AUDIT_LOG, { action: action || null })).auditLog.edges.map(
        (e) => e.node,
      ),
    [action],
  );
  const [result, setResult] = useState<{ ok: true; checkpoint: Checkpoint } | { ok: false; message: string } | undefined>();
  const verify = useAction();
  return (
    <>
      <Section title="Audit chain">
        <p class="muted">
          Recomputes every entry's hash from the first, checks the newest signed checkpoint, then signs a checkpoint of the head.
        </p>
        <button
          type="button"
          disabled={verify.busy}
          onClick={() =>
            void verify.run(async () => {
              try {
                const made = await session.gql<{ createAuditCheckpoint: Checkpoint }>(CHECKPOINT);
                setResult({ ok: true, checkpoint: made.createAuditCheckpoint });
              } catch (error) {
                if (error instanceof ApiError) setResult({ ok: false, message: error.message });
                else throw error;
              }
              log.reload();
            })
          }
        >
          {verify.busy ? 'Verifying…' : 'Verify chain'}
        </button>
        <ErrorBox error={verify.error} />
        {result?.ok ? (
          <p class="verified" role="status">
            <Badge kind="ok">chain intact</Badge> {result.checkpoint.entryCount} entries verified; head #{result.checkpoint.headId}{' '}
            <span class="mono">{result.checkpoint.headHash.slice(0, 16)}…</span> signed {when(result.checkpoint.signedAt)} with key{' '}
            <span class="mono">{result.checkpoint.kid.slice(0, 12)}…</span>
          </p>
        ) : result ? (
          <p class="error" role="alert">
            <Badge kind="bad">chain broken</Badge> {result.message}
          </p>
        ) : null}
      </Section>
      <Section title="Audit log">
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Action
            <input value={action} placeholder="e.g. member.suspended" onChange={(e) => setAction(e.currentTarget.value.trim())} />
          </label>
        </form>
        <ErrorBox error={log.error} />
        <table class="list">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {(log.data ?? []).map((e) => (
              <tr>
                <td>{e.id}</td>
                <td>{when(e.occurredAt)}</td>
                <td>{e.actorLabel}</td>
                <td class="mono nowrap">{e.action}</td>
                <td class="mono">{e.targetType ? `${e.targetType} ${e.targetId ?? ''}` : '-'}</td>
                <td class="mono details">{Object.keys(e.details).length ? JSON.stringify(e.details) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
