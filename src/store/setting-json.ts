// A setting's value as the JSON text both databases keep.

/** Refuses what JSON cannot hold, rather than storing something that reads back different. */
export function settingJson(key: string, value: unknown): string {
  const json = value === undefined ? undefined : JSON.stringify(value);
  if (json === undefined) throw new TypeError(`Setting '${key}' cannot be ${typeof value}: settings hold JSON values.`);
  return json;
}
