import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsListener } from '@app/observability';
import { TestContext } from './support/context.js';

describe('health, readiness and metrics', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
  });
  afterAll(async () => ctx?.close());

  it('GET /healthz says the process is alive', async () => {
    const res = await fetch(`${ctx.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports Postgres, Redis and migrations up', async () => {
    const res = await fetch(`${ctx.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { postgres: { status: 'up' }, redis: { status: 'up' }, migrations: { status: 'up' } },
    });
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const kept = await fetch(`${ctx.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await fetch(`${ctx.url}/healthz`, { headers: { 'x-request-id': 'a b\u0000c'.replace('\u0000', '') } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /metrics on the metrics listener exposes request counts, latencies and queue depths', async () => {
    await ctx.gql('{ serverInfo { issuer } }');
    const res = await fetch(`${ctx.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/sigfed_http_requests_total\{method="POST",route="\/graphql",status="200"\} 1/);
    expect(text).toContain('sigfed_http_request_duration_seconds_bucket');
    expect(text).toMatch(/sigfed_queue_jobs\{queue="events",state="waiting"\} \d+/);
    expect(text).toMatch(/sigfed_queue_jobs\{queue="webhooks",state="failed"\} \d+/);
  });

  it('keeps /metrics off the API port (404 there) and serves only /metrics on its own listener', async () => {
    const api = await fetch(`${ctx.url}/metrics`);
    expect(api.status).toBe(404);
    expect(await api.text()).not.toContain('sigfed_');
    expect(new URL(ctx.metricsUrl).port).not.toBe(new URL(ctx.url).port);
    expect((await fetch(`${ctx.metricsUrl}/healthz`)).status).toBe(404);
    expect((await fetch(`${ctx.metricsUrl}/graphql`, { method: 'POST' })).status).toBe(404);
  });

  it('binds the metrics listener to METRICS_HOST, loopback by default', () => {
    expect(ctx.config.http.metricsHost).toBe('127.0.0.1');
    expect(ctx.app.get(MetricsListener).address()?.address).toBe('127.0.0.1');
  });

  it('answers a public GraphQL query with the issuer', async () => {
    const res = await ctx.gql<{ serverInfo: { issuer: string } }>('{ serverInfo { issuer time } }');
    expect(res.errors).toBeUndefined();
    expect(res.data?.serverInfo.issuer).toBe(ctx.url);
  });

  it('refuses an oversized body with 413 and a JSON error, not a stack trace', async () => {
    const res = await fetch(`${ctx.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ serverInfo { issuer } }', variables: { pad: 'x'.repeat(5 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0].message).toBe('request body exceeds the size limit');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+/);
  });

  it('refuses malformed JSON with 400 and a JSON error', async () => {
    const res = await fetch(`${ctx.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0].message).toBe('malformed request body');
  });
});
