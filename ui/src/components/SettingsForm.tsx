// The installation's settings as an Admin edits them. Save sends only what was changed; the API
// judges each value and names a problem by its place (body.retentionDays). The page keys the form
// by the settings it shows, so the API's answer starts a fresh draft.
import { useId, useState, type FormEvent } from 'react';
import type { SettingsView } from '../api.js';
import { draftOf, isEdited, settingsChange, SETTING_WORDS, type SettingsChange, type SettingsDraft } from '../settings-change.js';
import { useSubmission } from '../useSubmission.js';
import { Failure } from './Failure.js';

export function SettingsForm({ settings, onSave }: { settings: SettingsView; onSave: (change: SettingsChange) => Promise<void> }) {
  const id = useId();
  const [draft, setDraft] = useState<SettingsDraft>(() => draftOf(settings));
  const { busy, error, send, refuse } = useSubmission();
  const edit = (change: Partial<SettingsDraft>) => setDraft({ ...draft, ...change });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const made = settingsChange(settings, draft);
    if ('problem' in made) {
      refuse(new Error(made.problem));
      return;
    }
    send(() => onSave(made.change));
  };
  // noValidate: the API is the one judge of a value (its problems name their place); the
  // browser's own checks of a number field would only say less, in other words.
  return (
    <form className="settings-form" onSubmit={submit} aria-label="Settings" noValidate>
      <div className="setting">
        <label>
          {SETTING_WORDS.retentionDays.name}
          <input type="number" name="retentionDays" value={draft.retentionDays} onChange={(event) => edit({ retentionDays: event.target.value })} aria-describedby={`${id}-retentionDays`} />
        </label>
        <p id={`${id}-retentionDays`} className="muted">
          {SETTING_WORDS.retentionDays.description}
        </p>
      </div>
      <div className="setting">
        <label className="check">
          <input type="checkbox" name="recordAllowed" checked={draft.recordAllowed} onChange={(event) => edit({ recordAllowed: event.target.checked })} aria-describedby={`${id}-recordAllowed`} />
          {SETTING_WORDS.recordAllowed.name}
        </label>
        <p id={`${id}-recordAllowed`} className="muted">
          {SETTING_WORDS.recordAllowed.description}
        </p>
      </div>
      <div className="setting">
        <label className="check">
          <input type="checkbox" name="breakGlass" checked={draft.breakGlass} onChange={(event) => edit({ breakGlass: event.target.checked })} aria-describedby={`${id}-breakGlass`} />
          {SETTING_WORDS.breakGlass.name}
        </label>
        <p id={`${id}-breakGlass`} className="muted">
          {SETTING_WORDS.breakGlass.description}
        </p>
      </div>
      <div className="actions">
        <button type="submit" disabled={busy || !isEdited(settings, draft)}>
          Save settings
        </button>
        <button type="button" disabled={busy || !isEdited(settings, draft)} onClick={() => setDraft(draftOf(settings))}>
          Undo changes
        </button>
      </div>
      {error !== undefined && <Failure error={error} />}
    </form>
  );
}
