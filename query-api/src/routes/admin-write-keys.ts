import { WRITE_KEY_ID_SCHEMA } from '../admin/schemas.js';
import type { Deps } from '../deps.js';
import { NotFoundError } from '../errors.js';
import { sendJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { SITE_ID_SCHEMA } from '../query/schema.js';
import { validate } from '../schema/json-schema.js';
import { adminGuard } from './admin-auth.js';

/** A site's write keys: issue another, list them (without the secrets), revoke one by its id. */
export function registerAdminWriteKeys(router: Router, d: Deps): void {
  const requireAdmin = adminGuard(d.opts.adminToken);

  router.add('POST', '/v1/admin/sites/:site_id/keys', async ({ req, res, params }) => {
    requireAdmin(req);
    const siteId = params.site_id ?? '';
    validate(SITE_ID_SCHEMA, siteId, 'site_id');
    const writeKey = await d.tenancy.createWriteKey(siteId);
    d.log.log('info', 'write key created', { site_id: siteId });
    sendJson(res, 201, { write_key: writeKey, site_id: siteId });
  });

  router.add('GET', '/v1/admin/sites/:site_id/keys', async ({ req, res, params }) => {
    requireAdmin(req);
    const siteId = params.site_id ?? '';
    validate(SITE_ID_SCHEMA, siteId, 'site_id');
    const keys = await d.tenancy.listWriteKeys(siteId);
    if (!keys) throw new NotFoundError('site');
    sendJson(res, 200, { site_id: siteId, keys });
  });

  router.add('DELETE', '/v1/admin/sites/:site_id/keys/:key_id', async ({ req, res, params }) => {
    requireAdmin(req);
    const siteId = params.site_id ?? '';
    const keyId = params.key_id ?? '';
    validate(SITE_ID_SCHEMA, siteId, 'site_id');
    validate(WRITE_KEY_ID_SCHEMA, keyId, 'key_id');
    await d.tenancy.revokeWriteKeyById(siteId, keyId);
    d.log.log('info', 'key revoked', { site_id: siteId, key_id: keyId });
    res.writeHead(204);
    res.end();
  });
}
