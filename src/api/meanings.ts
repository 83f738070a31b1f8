// What the cloud accounts' switches and the installation's settings mean, in one place: the
// OpenAPI document describes the API's fields with these words, and the web UI shows them beside
// its switches and settings, so the two cannot say different things.

/** What turning each of an account's switches off does (the seeds' plan extensions). */
export const ACCOUNT_SWITCH_MEANINGS = Object.freeze({
  gating: "Off: the account's clusters' webhooks allow everything and say so.",
  registryAccess: "Off: Portcullis does not read the account's registries (no digest resolution, no attached reports).",
  securityFindings: "Off: findings of the account's registries are not used; their images count as not scanned.",
});

export const SETTING_MEANINGS = Object.freeze({
  retentionDays: 'Days admission events are kept (1 to 3650; default 30).',
  recordAllowed: 'Record an event for allowed requests too (default false).',
  breakGlass: 'Honour the break-glass annotation: allow and always record (default true).',
});
