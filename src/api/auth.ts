// Bearer tokens: `pcl_` + 32 random bytes (base64url). The store keeps only the SHA-256 of the
// secret, so a copy of the database cannot be used to call the API.
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../store/roles.js';
import type { Store, TokenRecord } from '../store/store.js';
import type { Access } from './access.js';
import { ApiError } from './errors.js';

export const TOKEN_PREFIX = 'pcl_';

/** The authenticated caller of a request. */
export interface Caller {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authentication; undefined on public routes. */
    caller: Caller | undefined;
  }
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export interface NewToken {
  readonly name: string;
  readonly role: Role;
  readonly expiresAt?: string;
  readonly createdBy: string;
  /** A secret chosen elsewhere (`PORTCULLIS_ADMIN_TOKEN`) instead of a new random one. */
  readonly secret?: string;
}

/** Creates a token; the secret is in the answer and nowhere else, ever. */
export async function createToken(store: Store, token: NewToken, now: Date): Promise<{ secret: string; record: TokenRecord }> {
  const secret = token.secret ?? newTokenSecret();
  const input = { name: token.name, role: token.role, hash: hashToken(secret), createdBy: token.createdBy, ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}) };
  const record = await store.tokens.create(input, now.toISOString());
  return { secret, record };
}

export type TokenState = 'active' | 'revoked' | 'expired';

export function tokenState(record: TokenRecord, now: Date): TokenState {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

/**
 * Who is calling, or a 401/403 that says why not. Public routes need no token (one sent is
 * ignored, so a dashboard that always sends its token can still read /healthz).
 */
export async function authenticate(store: Store, access: Access, authorization: string | undefined, now: Date): Promise<Caller | undefined> {
  if (access === 'public') return undefined;
  const secret = bearerSecret(authorization);
  const record = await store.tokens.findByHash(hashToken(secret));
  if (!record) throw new ApiError('unauthorized', 'Unknown token: check the token, or ask an Admin for one.');
  const state = tokenState(record, now);
  if (state === 'revoked') throw new ApiError('unauthorized', `token revoked (at ${record.revokedAt}): ask an Admin for a new one.`);
  if (state === 'expired') throw new ApiError('unauthorized', `token expired (at ${record.expiresAt}): ask an Admin for a new one.`);
  if (!access.includes(record.role)) {
    const roles = access.length === 1 ? `the role ${access[0]}` : `one of the roles ${access.join(', ')}`;
    throw new ApiError('forbidden', `This needs ${roles}; the token '${record.name}' has the role ${record.role}.`);
  }
  return { tokenId: record.id, name: record.name, role: record.role };
}

function bearerSecret(authorization: string | undefined): string {
  if (!authorization) throw new ApiError('unauthorized');
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match?.[1]) throw new ApiError('unauthorized', 'The Authorization header must be "Bearer <token>".');
  return match[1];
}
