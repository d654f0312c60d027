import type { IncomingMessage } from 'node:http';
import {
  CREATE_KEY_SCHEMA,
  CREATE_MERCHANT_SCHEMA,
  CREATE_SITE_SCHEMA,
  PATCH_SITE_SCHEMA,
} from '../admin/schemas.js';
import type { Deps } from '../deps.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { readJson, sendJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { validate } from '../schema/json-schema.js';
import type { ReadKeyScope, SitePatch } from '../tenancy/store.js';
import { isValidTimeZone } from '../time/zone.js';
import { adminGuard } from './admin-auth.js';
import { registerAdminReadKeys } from './admin-read-keys.js';
import { registerAdminWriteKeys } from './admin-write-keys.js';

function checkTimezone(tz: string | undefined): void {
  if (tz !== undefined && !isValidTimeZone(tz)) throw new BadRequestError('timezone', `${JSON.stringify(tz)} is not an IANA time zone`);
}

export function registerAdmin(router: Router, d: Deps): void {
  const requireAdmin = adminGuard(d.opts.adminToken);
  const body = async (req: IncomingMessage) => readJson(req, d.opts.maxBodyBytes);

  router.add('POST', '/v1/admin/merchants', async ({ req, res }) => {
    requireAdmin(req);
    const input = await body(req);
    validate(CREATE_MERCHANT_SCHEMA, input);
    const m = await d.tenancy.createMerchant((input as { name: string }).name);
    d.log.log('info', 'merchant created', { merchant_id: m.merchant_id });
    sendJson(res, 201, m);
  });

  router.add('GET', '/v1/admin/merchants/:merchant_id', async ({ req, res, params }) => {
    requireAdmin(req);
    const m = await d.tenancy.getMerchant(params.merchant_id ?? '');
    if (!m) throw new NotFoundError('merchant');
    sendJson(res, 200, m);
  });

  router.add('GET', '/v1/admin/merchants/:merchant_id/sites', async ({ req, res, params }) => {
    requireAdmin(req);
    const id = params.merchant_id ?? '';
    if (!(await d.tenancy.getMerchant(id))) throw new NotFoundError('merchant');
    sendJson(res, 200, { sites: await d.tenancy.listSites(id, 100_000) });
  });

  router.add('POST', '/v1/admin/sites', async ({ req, res }) => {
    requireAdmin(req);
    const input = await body(req);
    validate(CREATE_SITE_SCHEMA, input);
    const { merchant_id, domain, timezone } = input as { merchant_id: string; domain: string; timezone?: string };
    checkTimezone(timezone);
    const { site, write_key } = await d.tenancy.createSite({ merchant_id, domain: domain.toLowerCase(), timezone: timezone ?? 'UTC' });
    d.log.log('info', 'site created', { merchant_id, site_id: site.site_id });
    sendJson(res, 201, { site_id: site.site_id, write_key, site });
  });

  router.add('GET', '/v1/admin/sites/:site_id', async ({ req, res, params }) => {
    requireAdmin(req);
    const site = await d.tenancy.getSite(params.site_id ?? '', { fresh: true });
    if (!site) throw new NotFoundError('site');
    sendJson(res, 200, site);
  });

  router.add('PATCH', '/v1/admin/sites/:site_id', async ({ req, res, params }) => {
    requireAdmin(req);
    const input = await body(req);
    validate(PATCH_SITE_SCHEMA, input);
    const patch = input as SitePatch;
    checkTimezone(patch.timezone);
    if (patch.domain !== undefined) patch.domain = patch.domain.toLowerCase();
    const site = await d.tenancy.updateSite(params.site_id ?? '', patch);
    d.log.log('info', 'site updated', { site_id: site.site_id });
    sendJson(res, 200, site);
  });

  router.add('POST', '/v1/admin/keys', async ({ req, res }) => {
    requireAdmin(req);
    const input = await body(req);
    validate(CREATE_KEY_SCHEMA, input);
    const { merchant_id: merchantId, site_ids, label } = input as { merchant_id: string } & ReadKeyScope;
    const { read_key, key_id, record } = await d.tenancy.createReadKey(merchantId, { ...(site_ids ? { site_ids } : {}), ...(label !== undefined ? { label } : {}) });
    // Not the label: free text that may name the client the key was given to.
    d.log.log('info', 'read key created', { merchant_id: merchantId, key_id, sites: record.site_ids?.length ?? 'all' });
    sendJson(res, 201, {
      read_key,
      key_id,
      merchant_id: merchantId,
      ...(record.site_ids ? { site_ids: record.site_ids } : {}),
      ...(record.label !== undefined ? { label: record.label } : {}),
    });
  });

  router.add('DELETE', '/v1/admin/keys/:key', async ({ req, res, params }) => {
    requireAdmin(req);
    await d.tenancy.revokeKey(params.key ?? '');
    d.log.log('info', 'key revoked', { key_prefix: (params.key ?? '').slice(0, 6) });
    res.writeHead(204);
    res.end();
  });

  registerAdminWriteKeys(router, d);
  registerAdminReadKeys(router, d);
}
