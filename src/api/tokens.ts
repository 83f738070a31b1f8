// /api/v1/tokens: API tokens, Admin only. The secret is answered once, on creation; the store
// and every later answer know only its hash.
import { z } from 'zod';
import { ROLES } from '../store/roles.js';
import type { TokenRecord } from '../store/store.js';
import { ACCESS } from './access.js';
import { createToken, tokenState } from './auth.js';
import { ApiError } from './errors.js';
import { defineRoute, type Route } from './route.js';
import { InstantSchema, listOf } from './schemas.js';

const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    state: z.enum(['active', 'revoked', 'expired']),
    createdAt: InstantSchema,
    createdBy: z.string().optional(),
    expiresAt: InstantSchema.optional(),
    revokedAt: InstantSchema.optional(),
  })
  .meta({ id: 'Token', description: 'A token as listed: never its secret.' });

const NewTokenSchema = z
  .strictObject({
    role: z.enum(ROLES),
    name: z.string().trim().min(1).max(100).describe('Who or what uses it (alice, ci-scanner, cluster prod-eu); shown as the actor of what it changes.'),
    expiresAt: InstantSchema.optional().describe('When it stops working; omitted: never.'),
  })
  .meta({ id: 'NewToken' });

const CreatedTokenSchema = TokenSchema.extend({ token: z.string().describe('The secret: shown this once, store it now.') }).meta({ id: 'CreatedToken' });

const IdParams = z.object({ id: z.string().min(1) });

function tokenView(record: TokenRecord, now: Date): z.input<typeof TokenSchema> {
  return { ...record, state: tokenState(record, now) };
}

export const tokenRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'createToken',
    method: 'POST',
    url: '/api/v1/tokens',
    access: ACCESS.admin,
    summary: 'Create a token',
    description: 'Answers the secret (`token`) once; it cannot be shown again.',
    tags: ['tokens'],
    body: NewTokenSchema,
    status: 201,
    response: CreatedTokenSchema,
    handler: async ({ body }, { store, now, actor }) => {
      if (body.expiresAt && Date.parse(body.expiresAt) <= now.getTime()) {
        throw ApiError.invalid([{ path: 'body.expiresAt', message: 'must be in the future' }]);
      }
      const { secret, record } = await createToken(store, { ...body, createdBy: actor }, now);
      return { token: secret, ...tokenView(record, now) };
    },
  }),
  defineRoute({
    operationId: 'listTokens',
    method: 'GET',
    url: '/api/v1/tokens',
    access: ACCESS.admin,
    summary: 'List tokens (never their secrets)',
    tags: ['tokens'],
    response: listOf('tokens', TokenSchema),
    handler: async (_input, { store, now }) => ({ tokens: (await store.tokens.list()).map((record) => tokenView(record, now)) }),
  }),
  defineRoute({
    operationId: 'revokeToken',
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    access: ACCESS.admin,
    summary: 'Revoke a token',
    description: 'It answers 401 "token revoked" from then on. Revoking twice keeps the first time.',
    tags: ['tokens'],
    params: IdParams,
    response: TokenSchema,
    handler: async ({ params }, { store, now }) => {
      const record = await store.tokens.revoke(params.id, now.toISOString());
      if (!record) throw new ApiError('not_found', `No token '${params.id}'.`);
      return tokenView(record, now);
    },
  }),
];
