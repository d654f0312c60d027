import { MERCHANT_ID_SCHEMA, READ_KEY_ID_SCHEMA } from '../admin/schemas.js';
import type { Deps } from '../deps.js';
import { NotFoundError } from '../errors.js';
import { sendJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { validate } from '../schema/json-schema.js';
import { adminGuard } from './admin-auth.js';

/** A merchant's read keys: list them (without the secrets), revoke one by its id (shared links whose key was lost). */
export function registerAdminReadKeys(router: Router, d: Deps): void {
  const requireAdmin = adminGuard(d.opts.adminToken);

  router.add('GET', '/v1/admin/merchants/:merchant_id/keys', async ({ req, res, params }) => {
    requireAdmin(req);
    const merchantId = params.merchant_id ?? '';
    validate(MERCHANT_ID_SCHEMA, merchantId, 'merchant_id');
    const keys = await d.tenancy.listReadKeys(merchantId);
    if (!keys) throw new NotFoundError('merchant');
    sendJson(res, 200, { merchant_id: merchantId, keys });
  });

  router.add('DELETE', '/v1/admin/merchants/:merchant_id/keys/:key_id', async ({ req, res, params }) => {
    requireAdmin(req);
    const merchantId = params.merchant_id ?? '';
    const keyId = params.key_id ?? '';
    validate(MERCHANT_ID_SCHEMA, merchantId, 'merchant_id');
    validate(READ_KEY_ID_SCHEMA, keyId, 'key_id');
    await d.tenancy.revokeReadKeyById(merchantId, keyId);
    d.log.log('info', 'key revoked', { merchant_id: merchantId, key_id: keyId });
    res.writeHead(204);
    res.end();
  });
}
