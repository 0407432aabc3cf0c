import type { KubeTestObject, KubeTestResource } from './object-store';
import type { KubeTestRoute } from './routes';
import { statusBody, type StatusBody } from './status';
import { parseFieldSelector, selects, type Selection, type WatchOptions } from './watch-hub';

/**
 * Lists and watches of the test API server: the query kube-apiserver reads for a collection
 * (`fieldSelector`, `limit`/`continue`, `watch`, `resourceVersion`, `allowWatchBookmarks`,
 * `timeoutSeconds`), and list pages with continue tokens that expire on request (410, as an
 * etcd compaction makes them).
 */

export type CollectionRequest =
  | { readonly kind: 'list'; readonly selection: Selection; readonly limit: number; readonly token: string | null }
  | { readonly kind: 'watch'; readonly selection: Selection; readonly options: WatchOptions };

function positiveInt(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** The request a collection URL makes, or a 400 Status. */
export function parseCollectionRequest(route: KubeTestRoute, query: URLSearchParams): CollectionRequest | StatusBody {
  const fields = parseFieldSelector(query.get('fieldSelector'));
  if (typeof fields === 'string') return statusBody(400, fields);
  const selection: Selection = { resource: route.resource, namespace: route.namespace, fields };
  if (query.get('watch') === 'true' || query.get('watch') === '1') {
    const rv = query.get('resourceVersion');
    const from = rv === null || rv === '' ? undefined : positiveInt(rv);
    if (rv !== null && rv !== '' && from === undefined) return statusBody(400, `invalid resourceVersion "${rv}"`);
    return {
      kind: 'watch',
      selection,
      options: {
        from,
        bookmarks: query.get('allowWatchBookmarks') === 'true',
        timeoutSeconds: positiveInt(query.get('timeoutSeconds')),
      },
    };
  }
  return { kind: 'list', selection, limit: positiveInt(query.get('limit')) ?? 0, token: query.get('continue') };
}

function apiVersionOf(resource: KubeTestResource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

interface Token {
  readonly epoch: number;
  readonly offset: number;
  readonly revision: number;
}

/** Pages of lists: `limit` items, a `continue` token for the rest, valid until {@link expire}. */
export class Pager {
  private epoch = 0;

  /** Makes every continue token given so far answer 410 Expired (the client lists from the start). */
  expire(): void {
    this.epoch += 1;
  }

  /** One page of the objects `selection` selects, as kube-apiserver's List body, or a Status (400, 410). */
  page(
    request: { selection: Selection; limit: number; token: string | null },
    all: KubeTestObject[],
    revision: number,
  ): { status: number; body: unknown } {
    let start: Token = { epoch: this.epoch, offset: 0, revision };
    if (request.token !== null && request.token !== '') {
      const decoded = this.decode(request.token);
      if (decoded === undefined) return { status: 400, body: statusBody(400, 'invalid continue token') };
      if (decoded.epoch !== this.epoch) {
        const message = 'The provided continue parameter is too old to display a consistent list result.';
        return { status: 410, body: { ...statusBody(410, message), reason: 'Expired' } };
      }
      start = decoded;
    }
    const items = all.filter((o) => selects(request.selection, o));
    const end = request.limit > 0 ? start.offset + request.limit : items.length;
    const more = end < items.length;
    const metadata: Record<string, unknown> = { resourceVersion: String(start.revision) };
    if (more) metadata['continue'] = this.encode({ ...start, offset: end });
    const { resource } = request.selection;
    return {
      status: 200,
      body: {
        apiVersion: apiVersionOf(resource),
        kind: `${resource.kind}List`,
        metadata,
        items: items.slice(start.offset, end),
      },
    };
  }

  private encode(token: Token): string {
    return Buffer.from(JSON.stringify(token)).toString('base64url');
  }

  private decode(text: string): Token | undefined {
    try {
      const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Token>;
      if (typeof t.epoch === 'number' && typeof t.offset === 'number' && typeof t.revision === 'number')
        return { epoch: t.epoch, offset: t.offset, revision: t.revision };
    } catch {
      // Not a token we made.
    }
    return undefined;
  }
}

export { apiVersionOf };
