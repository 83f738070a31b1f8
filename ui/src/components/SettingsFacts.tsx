// The installation's settings as the roles that may not change them read them: each value with
// what it means.
import { Fragment } from 'react';
import type { SettingsView } from '../api.js';
import { SETTING_WORDS } from '../settings-change.js';

export function SettingsFacts({ settings }: { settings: SettingsView }) {
  const rows = [
    { ...SETTING_WORDS.retentionDays, value: `${settings.retentionDays} days` },
    { ...SETTING_WORDS.recordAllowed, value: settings.recordAllowed ? 'On' : 'Off' },
    { ...SETTING_WORDS.breakGlass, value: settings.breakGlass.enabled ? 'Enabled' : 'Disabled' },
  ];
  return (
    <dl className="facts settings">
      {rows.map(({ name, value, description }) => (
        <Fragment key={name}>
          <dt>{name}</dt>
          <dd>
            {value} <span className="muted">{description}</span>
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}
