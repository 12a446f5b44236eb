import { All, Controller, Delete, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import type { CollectionSource } from './alerts-collection.js';
import { acceptsTaxii, isTaxiiContent, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE } from './media-type.js';
import { TaxiiFeedService, type FeedPage } from './taxii-feed.service.js';
import { encodeNext, parseQuery } from './taxii-query.js';
import { TaxiiError } from './taxii.error.js';
import { TaxiiExceptionFilter } from './taxii-exception.filter.js';

const API_ROOT = 'taxii2/api';
const COLLECTION = `${API_ROOT}/collections/:collection`;

function send(res: Response, body: unknown, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(200).setHeader('Content-Type', TAXII_MEDIA_TYPE).end(JSON.stringify(body));
}

/** TAXII 2.1 section 3.4: a client may refuse our one media type, and then gets 406. */
function negotiate(req: Request): void {
  if (!acceptsTaxii(req.headers.accept)) {
    throw new TaxiiError(406, 'Not acceptable', `This server answers only ${TAXII_MEDIA_TYPE}; the Accept header allows none of it`);
  }
}

/** The paging headers and envelope fields of a page (section 3.5). */
function paged(page: FeedPage): { headers: Record<string, string>; more: boolean; next?: string } {
  const { entries, more } = page;
  if (entries.length === 0) return { headers: {}, more };
  const last = entries[entries.length - 1].dateAdded;
  return {
    headers: { 'X-TAXII-Date-Added-First': entries[0].dateAdded, 'X-TAXII-Date-Added-Last': last },
    more,
    ...(more ? { next: encodeNext(last) } : {}),
  };
}

function describe(source: CollectionSource) {
  return {
    id: source.id,
    title: source.title,
    description: source.description,
    can_read: true,
    can_write: false,
    media_types: [STIX_MEDIA_TYPE],
  };
}

/**
 * TAXII 2.1, read only, under the member's own access token (the global
 * AuthGuard decides access and charges each request's cost, set by
 * TaxiiCostMiddleware). One API root, `api`; its collections are the
 * member's own (`alerts`).
 */
@UseFilters(TaxiiExceptionFilter)
@Controller()
export class TaxiiController {
  constructor(
    private readonly feed: TaxiiFeedService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Server discovery (section 4.1). */
  @Get('taxii2')
  discovery(@Req() req: Request, @Res() res: Response): void {
    negotiate(req);
    const root = `${this.config.http.publicBaseUrl}/${API_ROOT}/`;
    send(res, {
      title: 'Sigfed',
      description: "The federation's alerts for this member, as STIX 2.1.",
      default: root,
      api_roots: [root],
    });
  }

  /** API root information (section 4.2). */
  @Get(API_ROOT)
  apiRoot(@Req() req: Request, @Res() res: Response): void {
    negotiate(req);
    send(res, {
      title: 'Sigfed',
      description: 'Your alerts (collection alerts).',
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: 0,
    });
  }

  /** The member's collections (section 5.1). */
  @Get(`${API_ROOT}/collections`)
  collections(@Req() req: Request, @Res() res: Response): void {
    negotiate(req);
    send(res, { collections: this.feed.collections().map(describe) });
  }

  /** One collection (section 5.2). */
  @Get(COLLECTION)
  collection(@Req() req: Request, @Res() res: Response, @Param('collection') id: string): void {
    negotiate(req);
    send(res, describe(this.feed.collection(id)));
  }

  /** Get Objects (section 5.3). */
  @Get(`${COLLECTION}/objects`)
  async objects(@CurrentMember() me: AuthenticatedMember, @Req() req: Request, @Res() res: Response, @Param('collection') id: string) {
    negotiate(req);
    const query = parseQuery(req.query, ['id', 'type', 'version', 'spec_version']);
    const page = await this.feed.page(me.id, id, query);
    const { headers, more, next } = paged(page);
    send(res, { more, ...(next ? { next } : {}), ...(page.entries.length ? { objects: page.entries.map((e) => e.object) } : {}) }, headers);
  }

  /** Add Objects (section 5.4): the collections are read only (can_write false). */
  @Post(`${COLLECTION}/objects`)
  addObjects(@Req() req: Request, @Param('collection') id: string): never {
    negotiate(req);
    this.feed.collection(id);
    if (!isTaxiiContent(req.headers['content-type'])) {
      throw new TaxiiError(415, 'Unsupported media type', `Content-Type must be ${TAXII_MEDIA_TYPE}`);
    }
    throw new TaxiiError(403, 'Forbidden', `Collection ${id} is read only (can_write is false)`);
  }

  /** Get An Object (section 5.5): its versions that match, 404 when the collection has no such object. */
  @Get(`${COLLECTION}/objects/:objectId`)
  async object(
    @CurrentMember() me: AuthenticatedMember,
    @Req() req: Request,
    @Res() res: Response,
    @Param('collection') id: string,
    @Param('objectId') objectId: string,
  ) {
    negotiate(req);
    const query = parseQuery(req.query, ['version', 'spec_version']);
    const page = await this.feed.page(me.id, id, query, objectId);
    if (page.entries.length === 0 && !(await this.exists(me.id, id, objectId))) {
      throw new TaxiiError(404, 'Object not found', `Collection ${id} has no object ${objectId}`);
    }
    const { headers, more, next } = paged(page);
    send(res, { more, ...(next ? { next } : {}), ...(page.entries.length ? { objects: page.entries.map((e) => e.object) } : {}) }, headers);
  }

  /** Delete An Object (section 5.6): refused, the collections are read only. */
  @Delete(`${COLLECTION}/objects/:objectId`)
  deleteObject(@Req() req: Request, @Param('collection') id: string): never {
    negotiate(req);
    this.feed.collection(id);
    throw new TaxiiError(403, 'Forbidden', `Collection ${id} is read only (can_write is false)`);
  }

  /** Get Object Versions (section 5.7): the server keeps the latest version of each object. */
  @Get(`${COLLECTION}/objects/:objectId/versions`)
  async versions(
    @CurrentMember() me: AuthenticatedMember,
    @Req() req: Request,
    @Res() res: Response,
    @Param('collection') id: string,
    @Param('objectId') objectId: string,
  ) {
    negotiate(req);
    const query = parseQuery(req.query, ['spec_version']);
    const page = await this.feed.page(me.id, id, query, objectId);
    if (page.entries.length === 0 && !(await this.exists(me.id, id, objectId))) {
      throw new TaxiiError(404, 'Object not found', `Collection ${id} has no object ${objectId}`);
    }
    const { headers, more, next } = paged(page);
    send(
      res,
      { more, ...(next ? { next } : {}), ...(page.entries.length ? { versions: page.entries.map((e) => e.version) } : {}) },
      headers,
    );
  }

  /** Get Object Manifests (section 5.8). */
  @Get(`${COLLECTION}/manifest`)
  async manifest(@CurrentMember() me: AuthenticatedMember, @Req() req: Request, @Res() res: Response, @Param('collection') id: string) {
    negotiate(req);
    const query = parseQuery(req.query, ['id', 'type', 'version', 'spec_version']);
    const page = await this.feed.page(me.id, id, query);
    const { headers, more, next } = paged(page);
    const objects = page.entries.map((e) => ({ id: e.id, date_added: e.dateAdded, version: e.version, media_type: STIX_MEDIA_TYPE }));
    send(res, { more, ...(next ? { next } : {}), ...(objects.length ? { objects } : {}) }, headers);
  }

  /** Every other method on a TAXII resource. */
  @All([
    'taxii2',
    API_ROOT,
    `${API_ROOT}/collections`,
    COLLECTION,
    `${COLLECTION}/objects`,
    `${COLLECTION}/objects/:objectId`,
    `${COLLECTION}/objects/:objectId/versions`,
    `${COLLECTION}/manifest`,
  ])
  methodNotAllowed(@Req() req: Request, @Res() res: Response): never {
    res.setHeader('Allow', 'GET, HEAD');
    throw new TaxiiError(405, 'Method not allowed', `${req.method} is not supported here; this TAXII server is read only`);
  }

  private async exists(memberId: string, collection: string, objectId: string): Promise<boolean> {
    const page = await this.feed.page(memberId, collection, { limit: 1, specVersionMatches: true }, objectId);
    return page.entries.length > 0;
  }
}
