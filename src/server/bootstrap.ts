// What a new installation gets on its first start: the default rule of DESIGN.md and an admin
// token. Runs on every start and does nothing once done, so a restart or a second replica
// starting at the same moment changes nothing.
import { randomUUID } from 'node:crypto';
import { createToken } from '../api/auth.js';
import { DEFAULT_RULE } from '../policy/rule.js';
import { INSTALLATION_SETTING } from '../sensor/sync.js';
import { ConflictError } from '../store/errors.js';
import type { Store } from '../store/store.js';

/** The settings key that says the default rule was created once (deleting it later sticks). */
const DEFAULT_RULE_SETTING = 'bootstrap.defaultRuleCreated';
export const BOOTSTRAP_ACTOR = 'portcullis';
export const ADMIN_TOKEN_NAME = 'admin';

export interface BootstrapResult {
  readonly defaultRuleCreated: boolean;
  /** The secret of the admin token made now; undefined when tokens already existed. */
  readonly adminToken?: string;
  /** Whether that secret came from PORTCULLIS_ADMIN_TOKEN (then it is not printed). */
  readonly adminTokenFromEnvironment: boolean;
}

export async function bootstrap(store: Store, now: Date, adminSecret: string | undefined): Promise<BootstrapResult> {
  const at = now.toISOString();
  // The database's identity, for webhooks to notice a restored or replaced one (see sensor/sync.ts).
  if ((await store.settings.get<string>(INSTALLATION_SETTING)) === undefined) await store.settings.put(INSTALLATION_SETTING, randomUUID(), at);
  let defaultRuleCreated = false;
  if (!(await store.settings.get<boolean>(DEFAULT_RULE_SETTING))) {
    try {
      if (!(await store.rules.getByName(DEFAULT_RULE.name))) {
        await store.rules.create(DEFAULT_RULE, BOOTSTRAP_ACTOR, at);
        defaultRuleCreated = true;
      }
    } catch (error) {
      // Another replica created it between our look and our write.
      if (!(error instanceof ConflictError)) throw error;
    }
    await store.settings.put(DEFAULT_RULE_SETTING, true, at);
  }
  if ((await store.tokens.count()) > 0) return { defaultRuleCreated, adminTokenFromEnvironment: false };
  try {
    const { secret } = await createToken(store, { name: ADMIN_TOKEN_NAME, role: 'Admin', createdBy: BOOTSTRAP_ACTOR, ...(adminSecret !== undefined && { secret: adminSecret }) }, now);
    return { defaultRuleCreated, adminToken: secret, adminTokenFromEnvironment: adminSecret !== undefined };
  } catch (error) {
    // A replica starting beside us made the first token with the same configured secret.
    if (error instanceof ConflictError) return { defaultRuleCreated, adminTokenFromEnvironment: true };
    throw error;
  }
}
