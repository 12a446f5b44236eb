import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPg, PrismaService, type IndicatorType } from '@app/database';
import { IndicatorsService } from '@app/indicators';
import { TestContext, type TestMember, testToken } from './support/context.js';
import { startWorker } from './support/webhooks.js';
import { outboxDrained } from './support/wait.js';

const TAXII = 'application/taxii+json;version=2.1';
const ROOT = '/taxii2/api/';
const ALERTS = `${ROOT}collections/alerts/`;
const STIX_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}
interface Envelope {
  more?: boolean;
  next?: string;
  objects?: { id: string; type: string; modified?: string; [k: string]: unknown }[];
}

describe('TAXII 2.1 over the member’s alerts', () => {
  let ctx: TestContext;
  let owner: pg.Client;
  let a: TestMember;
  let tokenA: string;

  /** A GET (unless told otherwise) of a TAXII path with the member's token. */
  async function taxii(path: string, token?: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
    const res = await fetch(`${ctx.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { accept: TAXII, ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
      body: init.body,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} } as Answer;
  }

  /** `n` alerts of the member on fresh tokens (made as another member's submissions would make them), oldest first. */
  async function addAlerts(memberId: string, n: number): Promise<string[]> {
    const { rows } = await owner.query<{ id: string }>(
      `WITH m AS (
         INSERT INTO matches (type, key_epoch, token, holder_count, first_seen_at, last_seen_at)
         SELECT 'IP_RANGE', '2026-q4', decode(md5(random()::text) || md5(random()::text), 'hex'), 2,
                '2026-11-30T10:17:23.456Z', '2026-12-01T11:42:05.789Z'
           FROM generate_series(1, $2) RETURNING id)
       INSERT INTO alerts (match_id, member_id, other_holders, created_at, updated_at)
       SELECT m.id, $1, 1, now() - interval '1 day' + row_number() OVER () * interval '1 second', now() FROM m
       RETURNING id`,
      [memberId, n],
    );
    return rows.map((r) => r.id);
  }

  /** Every object a client gets by paging with `next` while also sending the same `added_after`, as the reference client does. */
  async function pageAll(token: string, limit: number, addedAfter?: string) {
    const pages: Answer[] = [];
    let next: string | undefined;
    do {
      const params = new URLSearchParams({ limit: String(limit) });
      if (addedAfter) params.set('added_after', addedAfter);
      if (next) params.set('next', next);
      const page = await taxii(`${ALERTS}objects/?${params}`, token);
      expect(page.status).toBe(200);
      pages.push(page);
      next = (page.body as Envelope).more ? (page.body as Envelope).next : undefined;
      expect(pages.length).toBeLessThan(50);
    } while (next);
    return { pages, objects: pages.flatMap((p) => (p.body as Envelope).objects ?? []) };
  }

  beforeAll(async () => {
    ctx = await TestContext.start();
    owner = await connectPg(process.env.DATABASE_URL!);
    a = await ctx.newMember();
    tokenA = await a.token();
  });
  afterAll(async () => {
    await ctx?.close();
    await owner?.end();
  });

  it('serves discovery, the API root, and the member’s alerts collection (read only), in the TAXII media type', async () => {
    const discovery = await taxii('/taxii2/', tokenA);
    expect(discovery.status).toBe(200);
    expect(discovery.headers.get('content-type')).toBe(TAXII);
    expect(discovery.body).toMatchObject({ title: 'Sigfed', default: `${ctx.url}${ROOT}`, api_roots: [`${ctx.url}${ROOT}`] });
    const root = await taxii(ROOT, tokenA);
    expect(root.body).toMatchObject({ versions: [TAXII], max_content_length: 0 });
    const collections = await taxii(`${ROOT}collections/`, tokenA);
    expect(collections.body.collections).toEqual([
      expect.objectContaining({ id: 'alerts', can_read: true, can_write: false, media_types: ['application/stix+json;version=2.1'] }),
    ]);
    const one = await taxii(ALERTS, tokenA);
    expect(one.body).toMatchObject({ id: 'alerts', can_read: true, can_write: false });
    expect((await taxii(`${ROOT}collections/campaigns/`, tokenA)).status).toBe(404);
  });

  it('answers 401 with a TAXII error message without a valid bearer token', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const res = await taxii(`${ALERTS}objects/`, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe(TAXII);
      expect(res.body).toMatchObject({ title: 'Authentication required', http_status: '401' });
    }
  });

  it('answers 406 to an Accept without the TAXII 2.1 media type, 415 and 403 to writes, 405 to other methods', async () => {
    const json = await taxii(`${ALERTS}objects/`, tokenA, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(406);
    expect(json.body).toMatchObject({ http_status: '406' });
    expect((await taxii(`${ALERTS}objects/`, tokenA, { headers: { accept: 'application/taxii+json;version=2.0' } })).status).toBe(406);
    expect((await taxii(`${ALERTS}objects/`, tokenA, { headers: { accept: 'application/taxii+json' } })).status).toBe(200);
    const wrongType = await taxii(`${ALERTS}objects/`, tokenA, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"objects":[]}',
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body).toMatchObject({ http_status: '415' });
    const write = await taxii(`${ALERTS}objects/`, tokenA, { method: 'POST', headers: { 'content-type': TAXII }, body: '{"objects":[]}' });
    expect(write.status).toBe(403);
    expect(write.body.description).toMatch(/read only/);
    const put = await taxii('/taxii2/', tokenA, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
  });

  it('refuses a bad parameter by name and rule', async () => {
    const limit = await taxii(`${ALERTS}objects/?limit=many`, tokenA);
    expect(limit.status).toBe(400);
    expect(limit.body.description).toBe('limit: must be a whole number of at least 1');
    const after = await taxii(`${ALERTS}objects/?added_after=yesterday`, tokenA);
    expect(after.body.description).toMatch(/^added_after: must be a STIX timestamp/);
    const typo = await taxii(`${ALERTS}objects/?match[typ]=indicator`, tokenA);
    expect(typo.body.description).toMatch(/^match\[typ\]: is not a parameter of this endpoint/);
    expect((await taxii(`${ALERTS}objects/?next=bogus`, tokenA)).body.description).toMatch(/^next:/);
  });

  describe('paging', () => {
    let alertIds: string[];
    let firstPoll: Awaited<ReturnType<typeof pageAll>>;

    beforeAll(async () => {
      alertIds = await addAlerts(a.id, 5);
      firstPoll = await pageAll(tokenA, 4, '2000-01-01T00:00:00.000Z');
    });

    it('pages through every object with next (and added_after sent too), each once, in date_added order', () => {
      const { pages, objects } = firstPoll;
      // The federation, the extension definition, and per alert: the token, an indicator, a sighting.
      expect(objects).toHaveLength(2 + 5 * 3);
      expect(new Set(objects.map((o) => o.id)).size).toBe(objects.length);
      expect(pages.map((p) => ((p.body as Envelope).objects ?? []).length)).toEqual([4, 4, 4, 4, 1]);
      expect(pages.map((p) => (p.body as Envelope).more)).toEqual([true, true, true, true, false]);
      let previous = '';
      for (const page of pages) {
        const first = page.headers.get('x-taxii-date-added-first')!;
        const last = page.headers.get('x-taxii-date-added-last')!;
        expect(first).toMatch(STIX_TIME);
        expect(first > previous && last >= first).toBe(true);
        previous = last;
      }
      expect(objects.filter((o) => o.type === 'indicator')).toHaveLength(5);
    });

    it('gives the same objects to a client that pages by added_after = X-TAXII-Date-Added-Last alone', async () => {
      const seen: string[] = [];
      let addedAfter = '2000-01-01T00:00:00.000Z';
      for (;;) {
        const page = await taxii(`${ALERTS}objects/?limit=3&added_after=${addedAfter}`, tokenA);
        const env = page.body as Envelope;
        seen.push(...(env.objects ?? []).map((o) => o.id));
        if (!env.more) break;
        addedAfter = page.headers.get('x-taxii-date-added-last')!;
      }
      expect(seen).toEqual(firstPoll.objects.map((o) => o.id));
    });

    it('then returns only what is new or changed with added_after, the changed alert under the same ids and a later version', async () => {
      const last = firstPoll.pages.at(-1)!.headers.get('x-taxii-date-added-last')!;
      expect((await taxii(`${ALERTS}objects/?added_after=${last}`, tokenA)).body).toEqual({ more: false });
      await addAlerts(a.id, 2);
      await owner.query(`UPDATE alerts SET version = version + 1, other_holders = 3 WHERE id = $1`, [alertIds[0]]);
      const { objects } = await pageAll(tokenA, 100, last);
      expect(objects.map((o) => o.type).sort()).toEqual(
        ['indicator', 'indicator', 'indicator', 'sighting', 'sighting', 'sighting', 'x-sigfed-keyed-token', 'x-sigfed-keyed-token'].sort(),
      );
      const before = firstPoll.objects.find((o) => o.type === 'sighting' && o.count === 1 && objects.some((n) => n.id === o.id))!;
      const after = objects.find((o) => o.id === before.id)!;
      expect(after.count).toBe(3);
      expect(after.modified! > before.modified!).toBe(true);
      // Polling from the same point again gets the same objects: nothing that did not change moved.
      const again = await taxii(`${ALERTS}objects/?added_after=${last}`, tokenA);
      expect(((again.body as Envelope).objects ?? []).map((o) => o.id)).toEqual(objects.map((o) => o.id));
    });

    it('filters by match[type], match[id], match[version] and match[spec_version]', async () => {
      const indicators = (await taxii(`${ALERTS}objects/?match[type]=indicator`, tokenA)).body as Envelope;
      expect(indicators.objects!.length).toBe(7);
      expect(indicators.objects!.every((o) => o.type === 'indicator')).toBe(true);
      const [x, y] = indicators.objects!;
      const byId = (await taxii(`${ALERTS}objects/?match[id]=${x.id},${y.id}`, tokenA)).body as Envelope;
      expect(byId.objects!.map((o) => o.id)).toEqual([x.id, y.id]);
      const byVersion = (await taxii(`${ALERTS}objects/?match[id]=${x.id}&match[version]=${x.modified}`, tokenA)).body as Envelope;
      expect(byVersion.objects!.map((o) => o.id)).toEqual([x.id]);
      const otherVersion = (await taxii(`${ALERTS}objects/?match[id]=${x.id}&match[version]=2020-01-01T00:00:00.000Z`, tokenA)).body;
      expect(otherVersion).toEqual({ more: false });
      expect((await taxii(`${ALERTS}objects/?match[spec_version]=2.0`, tokenA)).body).toEqual({ more: false });
      const all = (await taxii(`${ALERTS}objects/?match[version]=all&match[spec_version]=2.1&match[type]=sighting`, tokenA))
        .body as Envelope;
      expect(all.objects!.length).toBe(7);
    });

    it('serves objects/{id}/, its versions/ and the manifest/', async () => {
      const manifest = (await taxii(`${ALERTS}manifest/?match[type]=indicator`, tokenA)).body as {
        objects: { id: string; date_added: string; version: string; media_type: string }[];
      };
      expect(manifest.objects).toHaveLength(7);
      const entry = manifest.objects[0];
      expect(entry.date_added).toMatch(STIX_TIME);
      expect(entry.media_type).toBe('application/stix+json;version=2.1');
      const object = (await taxii(`${ALERTS}objects/${entry.id}/`, tokenA)).body as Envelope;
      expect(object.objects).toEqual([expect.objectContaining({ id: entry.id, modified: entry.version })]);
      const versions = await taxii(`${ALERTS}objects/${entry.id}/versions/`, tokenA);
      expect(versions.body).toEqual({ more: false, versions: [entry.version] });
      expect(versions.headers.get('x-taxii-date-added-first')).toBe(entry.date_added);
      const missing = await taxii(`${ALERTS}objects/indicator--00000000-0000-5000-8000-000000000000/`, tokenA);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ http_status: '404' });
    });

    it('shows member B none of member A’s objects, and A’s ids as not found', async () => {
      const b = await ctx.newMember();
      const tokenB = await b.token();
      const { objects } = await pageAll(tokenB, 100);
      expect(objects.map((o) => o.type).sort()).toEqual(['extension-definition', 'identity']);
      const indicator = firstPoll.objects.find((o) => o.type === 'indicator')!;
      expect((await taxii(`${ALERTS}objects/${indicator.id}/`, tokenB)).status).toBe(404);
      expect((await taxii(`${ALERTS}objects/${indicator.id}/versions/`, tokenB)).status).toBe(404);
      const manifest = (await taxii(`${ALERTS}manifest/`, tokenB)).body as Envelope;
      expect(manifest.objects!.map((o) => o.id)).not.toContain(indicator.id);
    });
  });

  it('returns at most 1000 objects a page with more: true when asked for more, and the rest after next', async () => {
    const c = await ctx.newMember();
    const tokenC = await c.token();
    await addAlerts(c.id, 340);
    const first = await taxii(`${ALERTS}objects/?limit=5000`, tokenC);
    const env = first.body as Envelope;
    expect(env.objects).toHaveLength(1000);
    expect(env.more).toBe(true);
    const rest = (await taxii(`${ALERTS}objects/?limit=5000&next=${env.next}`, tokenC)).body as Envelope;
    expect(rest.objects).toHaveLength(2 + 340 * 3 - 1000);
    expect(rest.more).toBe(false);
  });

  it('serves other holders that disclosed their names as identities, once, where the sightings were seen', async () => {
    const worker = await startWorker();
    try {
      const mine = await ctx.newMember();
      const other = await ctx.newMember({ name: 'Lab Disclosed' });
      const tokens = [testToken('d1'), testToken('d2'), testToken('d3')];
      const submit = (member: TestMember, extra: object) =>
        ctx.app.get(IndicatorsService).submit(member.id, {
          idempotencyKey: randomUUID(),
          indicators: tokens.map((token) => ({ type: 'ACCOUNT_SIGNAL' as IndicatorType, keyEpoch: '2026-q4', token, ...extra })),
        });
      await submit(mine, { externalRef: 'mine-1' });
      await submit(other, { discloseIdentity: true, externalRef: 'theirs-1' });
      await outboxDrained(ctx.app.get(PrismaService));
      const { objects } = await pageAll(await mine.token(), 100);
      const holders = objects.filter((o) => o.type === 'identity' && o.name === 'Lab Disclosed');
      expect(holders).toHaveLength(1);
      const sightings = objects.filter((o) => o.type === 'sighting');
      expect(sightings).toHaveLength(3);
      for (const s of sightings) expect(s.where_sighted_refs).toContain(holders[0].id);
      const text = JSON.stringify(objects);
      expect(text).toContain('mine-1');
      expect(text).not.toContain('theirs-1');
    } finally {
      await worker.close();
    }
  });

  it('charges each request to the member’s rate-limit budget by its limit, and refuses with 429 when spent', async () => {
    const d = await ctx.newMember();
    const tokenD = await d.token();
    const cost = 1 + 5 * 1000;
    const allowed = Math.floor(ctx.config.rateLimit.points / cost);
    for (let i = 0; i < allowed; i++) {
      const res = await taxii(`${ALERTS}manifest/?limit=1000`, tokenD);
      expect(res.status).toBe(200);
    }
    const refused = await taxii(`${ALERTS}manifest/?limit=1000`, tokenD);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe(TAXII);
    expect(refused.body).toMatchObject({ http_status: '429' });
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // A request that costs little still fits what is left.
    expect((await taxii(`${ALERTS}manifest/?limit=1`, tokenD)).status).toBe(200);
  });
});
