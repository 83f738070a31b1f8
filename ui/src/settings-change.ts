// The installation's settings in the product's words, and a change of them as PUT
// /api/v1/settings takes it: only what was changed, so a setting someone else changed meanwhile
// keeps their value. The API judges every value (a retention out of range is its 400).
import { SETTING_MEANINGS } from '../../src/api/meanings.js';
import type { SettingsView } from './api.js';

/** What each setting means: the API's own text (src/api/meanings.ts, which its OpenAPI document says too). */
export const SETTING_WORDS = {
  retentionDays: { name: 'Retention (days)', description: SETTING_MEANINGS.retentionDays },
  recordAllowed: { name: 'Record allowed requests', description: SETTING_MEANINGS.recordAllowed },
  breakGlass: { name: 'Break glass', description: SETTING_MEANINGS.breakGlass },
} as const;

/** The settings as the form holds them while they are edited: the retention as typed. */
export interface SettingsDraft {
  readonly retentionDays: string;
  readonly recordAllowed: boolean;
  readonly breakGlass: boolean;
}

export type SettingsChange = { -readonly [K in keyof SettingsView]?: SettingsView[K] };

export function draftOf(settings: SettingsView): SettingsDraft {
  return { retentionDays: String(settings.retentionDays), recordAllowed: settings.recordAllowed, breakGlass: settings.breakGlass.enabled };
}

/** Whether the draft differs from the settings shown at all (what Save is offered for). */
export function isEdited(settings: SettingsView, draft: SettingsDraft): boolean {
  const shown = draftOf(settings);
  return draft.retentionDays.trim() !== shown.retentionDays || draft.recordAllowed !== shown.recordAllowed || draft.breakGlass !== shown.breakGlass;
}

/**
 * Only the settings the draft changes, or the one problem the form names itself: a retention that
 * is no number at all (a cleared field). Whether a number is in range is the API's to say.
 */
export function settingsChange(settings: SettingsView, draft: SettingsDraft): { readonly change: SettingsChange } | { readonly problem: string } {
  const text = draft.retentionDays.trim();
  const retentionDays = text === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(retentionDays)) return { problem: `${SETTING_WORDS.retentionDays.name}: give a number of days.` };
  const change: SettingsChange = {};
  if (retentionDays !== settings.retentionDays) change.retentionDays = retentionDays;
  if (draft.recordAllowed !== settings.recordAllowed) change.recordAllowed = draft.recordAllowed;
  if (draft.breakGlass !== settings.breakGlass.enabled) change.breakGlass = { enabled: draft.breakGlass };
  return { change };
}
