// /api/v1/settings: installation-wide settings. readSettings is the one way to read them, with
// their defaults, for the server (retention timer) and the webhook (recording, break glass).
import { z } from 'zod';
import type { Store } from '../store/store.js';
import { ACCESS } from './access.js';
import { SETTING_MEANINGS } from './meanings.js';
import { defineRoute, type Route } from './route.js';

export interface Settings {
  /** Admission events older than this many days are pruned. */
  readonly retentionDays: number;
  /** Record an event for allowed requests too, not only for those that triggered a rule. */
  readonly recordAllowed: boolean;
  readonly breakGlass: { readonly enabled: boolean };
}

export const DEFAULT_SETTINGS: Settings = Object.freeze({ retentionDays: 30, recordAllowed: false, breakGlass: Object.freeze({ enabled: true }) });

const RetentionDays = z.number().int().min(1).max(3650).describe(SETTING_MEANINGS.retentionDays);
const RecordAllowed = z.boolean().describe(SETTING_MEANINGS.recordAllowed);
const BreakGlass = z.object({ enabled: z.boolean().describe(SETTING_MEANINGS.breakGlass) });

const SettingsSchema = z.object({ retentionDays: RetentionDays, recordAllowed: RecordAllowed, breakGlass: BreakGlass }).meta({ id: 'Settings' });

const SettingsChangeSchema = z
  .strictObject({ retentionDays: RetentionDays.optional(), recordAllowed: RecordAllowed.optional(), breakGlass: z.strictObject(BreakGlass.shape).optional() })
  .meta({ id: 'SettingsChange', description: 'The settings to change; those left out keep their value.' });

/** Each setting under its own key, so changing one never overwrites a concurrent change of another. */
const KEYS = { retentionDays: 'retentionDays', recordAllowed: 'recordAllowed', breakGlass: 'breakGlass' } as const;

/** The settings, each one its default when never set (or when what is stored does not read as one). */
export async function readSettings(store: Store): Promise<Settings> {
  const [retentionDays, recordAllowed, breakGlass] = await Promise.all([
    store.settings.get<unknown>(KEYS.retentionDays),
    store.settings.get<unknown>(KEYS.recordAllowed),
    store.settings.get<unknown>(KEYS.breakGlass),
  ]);
  return {
    retentionDays: orDefault(RetentionDays, retentionDays, DEFAULT_SETTINGS.retentionDays),
    recordAllowed: orDefault(RecordAllowed, recordAllowed, DEFAULT_SETTINGS.recordAllowed),
    breakGlass: orDefault(BreakGlass, breakGlass, DEFAULT_SETTINGS.breakGlass),
  };
}

function orDefault<S extends z.ZodType>(schema: S, value: unknown, fallback: z.output<S>): z.output<S> {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : fallback;
}

export const settingsRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'getSettings',
    method: 'GET',
    url: '/api/v1/settings',
    access: ACCESS.read,
    summary: 'Read the settings',
    tags: ['settings'],
    response: SettingsSchema,
    handler: (_input, { store }) => readSettings(store),
  }),
  defineRoute({
    operationId: 'putSettings',
    method: 'PUT',
    url: '/api/v1/settings',
    access: ACCESS.admin,
    summary: 'Change settings',
    description: 'Settings left out of the body keep their value; answers all settings.',
    tags: ['settings'],
    body: SettingsChangeSchema,
    response: SettingsSchema,
    handler: async ({ body }, { store, now }) => {
      const at = now.toISOString();
      for (const key of Object.values(KEYS)) {
        if (body[key] !== undefined) await store.settings.put(key, body[key], at);
      }
      return readSettings(store);
    },
  }),
];
