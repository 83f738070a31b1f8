import { describe, expect, test } from 'vitest';
import { draftOf, isEdited, settingsChange } from './settings-change.js';

const settings = { retentionDays: 30, recordAllowed: false, breakGlass: { enabled: true } };

describe('a change of the settings', () => {
  test('a draft untouched changes nothing and is not offered for saving', () => {
    expect(isEdited(settings, draftOf(settings))).toBe(false);
    expect(settingsChange(settings, draftOf(settings))).toEqual({ change: {} });
  });

  test('holds only what the draft changes', () => {
    expect(settingsChange(settings, { ...draftOf(settings), retentionDays: ' 7 ' })).toEqual({ change: { retentionDays: 7 } });
    expect(settingsChange(settings, { ...draftOf(settings), recordAllowed: true, breakGlass: false })).toEqual({ change: { recordAllowed: true, breakGlass: { enabled: false } } });
  });

  test('a number out of range goes to the API as typed, for it to name the problem', () => {
    expect(settingsChange(settings, { ...draftOf(settings), retentionDays: '0' })).toEqual({ change: { retentionDays: 0 } });
    expect(settingsChange(settings, { ...draftOf(settings), retentionDays: '1.5' })).toEqual({ change: { retentionDays: 1.5 } });
  });

  test('a retention that is no number is named by the form', () => {
    expect(isEdited(settings, { ...draftOf(settings), retentionDays: '' })).toBe(true);
    expect(settingsChange(settings, { ...draftOf(settings), retentionDays: '' })).toEqual({ problem: 'Retention (days): give a number of days.' });
    expect(settingsChange(settings, { ...draftOf(settings), retentionDays: 'e' })).toEqual({ problem: 'Retention (days): give a number of days.' });
  });
});
