import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { projectRoot } from '@app/common';

/**
 * The console's Content-Security-Policy: its own scripts, styles and API
 * only. No inline script or style, no other origin, no framing, no plugins;
 * `connect-src 'self'` covers fetch to /graphql and /oauth/token, and the
 * graphql-ws subscription on the same origin (CSP Level 3 matches ws: and
 * wss: of the page's own host under 'self'; both are named for browsers that
 * predate it).
 */
export function consoleCsp(host: string | undefined): string {
  const sockets = host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Where `scripts/build.mjs` writes the console (Vite's output). */
export function consoleDir(): string {
  return join(projectRoot(), 'dist', 'console');
}

/**
 * Serves the built console at /console/ (GET and HEAD only): files as they
 * are, any other path inside it the SPA's index.html. Hashed assets are
 * cached for good; index.html never, so a new build is picked up at once.
 */
export function consoleStatic(dir = consoleDir()) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '' || req.originalUrl === '/console') {
      res.redirect(308, '/console/');
      return;
    }
    res.setHeader('Content-Security-Policy', consoleCsp(req.headers.host));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(req.path)).replace(/^([/\\])+/, '');
    } catch {
      res.status(400).end();
      return;
    }
    const file = join(dir, relative);
    const inside = file.startsWith(dir + sep);
    const asset = inside && existsSync(file) && statSync(file).isFile();
    const path = asset ? file : join(dir, 'index.html');
    if (!existsSync(path)) {
      res.status(404).type('text/plain').send('the console is not built: run `npm run build`');
      return;
    }
    const immutable = asset && relative.startsWith(`assets${sep}`);
    res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-store');
    res.setHeader('Content-Type', TYPES[extname(path)] ?? 'application/octet-stream');
    res.status(200).end(req.method === 'HEAD' ? undefined : readFileSync(path));
  };
}
