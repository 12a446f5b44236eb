/** The one media type Sigfed's TAXII endpoints answer with (and the only one a write could carry). */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

interface MediaRange {
  type: string;
  params: Map<string, string>;
}

function parse(header: string): MediaRange[] {
  return header.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    return {
      type: type.toLowerCase(),
      params: new Map(
        params.map((p) => {
          const [k, v = ''] = p.split('=').map((s) => s.trim());
          return [k.toLowerCase(), v.replace(/^"|"$/g, '').toLowerCase()] as const;
        }),
      ),
    };
  });
}

/**
 * Whether an Accept header lets the server answer `application/taxii+json;version=2.1`
 * (TAXII 2.1 section 1.6.8): the type itself, without a version (the latest) or with
 * version 2.1, or a wildcard; an absent header accepts anything, as in HTTP.
 */
export function acceptsTaxii(header: string | undefined): boolean {
  if (!header?.trim()) return true;
  return parse(header).some(({ type, params }) => {
    if (params.get('q') !== undefined && Number(params.get('q')) === 0) return false;
    if (type === '*/*' || type === 'application/*') return true;
    return type === 'application/taxii+json' && (params.get('version') ?? '2.1') === '2.1';
  });
}

/** Whether a Content-Type is TAXII 2.1's envelope (what Add Objects would take). */
export function isTaxiiContent(header: string | undefined): boolean {
  if (!header) return false;
  const [range] = parse(header);
  return range.type === 'application/taxii+json' && (range.params.get('version') ?? '2.1') === '2.1';
}
