import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleDir } from '../apps/api/src/console/console-static.js';
import { TestContext } from './support/context.js';

/** The web console as the API serves it: same origin, strict CSP, no inline script (npm test builds it first). */
describe('the console at /console/', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
  });
  afterAll(async () => ctx?.close());

  it('is built, and its index.html has no inline script, style or third-party URL', () => {
    const html = readFileSync(join(consoleDir(), 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(body.trim(), 'inline script').toBe('');
      expect(attributes).toMatch(/\bsrc="\/console\/assets\/[^"]+\.js"/);
    }
    expect(html).not.toMatch(/<style\b|\son[a-z]+=|\sstyle=|javascript:/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    // The bundle itself calls no other origin either.
    for (const file of readdirSync(join(consoleDir(), 'assets')).filter((f) => f.endsWith('.js'))) {
      expect(readFileSync(join(consoleDir(), 'assets', file), 'utf8')).not.toMatch(/fetch\(\s*["'`]https?:/);
    }
  });

  it('serves index.html with a strict Content-Security-Policy and the other security headers', async () => {
    const res = await fetch(`${ctx.url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = Object.fromEntries(
      res.headers
        .get('content-security-policy')!
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    const host = new URL(ctx.url).host;
    expect(csp).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'"],
      'connect-src': ["'self'", `ws://${host}`, `wss://${host}`],
      'object-src': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
    expect(JSON.stringify(csp)).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('answers deep links with the app (SPA fallback), assets as themselves, and never a file outside it', async () => {
    const deep = await fetch(`${ctx.url}/console/alerts`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="app"></div>');
    const [script] = /\/console\/assets\/[^"]+\.js/.exec(readFileSync(join(consoleDir(), 'index.html'), 'utf8'))!;
    const asset = await fetch(`${ctx.url}${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-security-policy')).toContain("default-src 'self'");
    for (const path of ['/console/..%2f..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json']) {
      const res = await fetch(`${ctx.url}${path}`);
      expect(await res.text(), path).not.toContain('"name": "sigfed"');
    }
    const bare = await fetch(`${ctx.url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/console/');
    expect(existsSync(join(consoleDir(), 'index.html'))).toBe(true);
  });
});
