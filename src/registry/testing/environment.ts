// Variables a test sets for the clouds' libraries, which read them from process.env: set for the
// test, then put back as they were (absent ones deleted again).

type Variables = Readonly<Record<string, string | undefined>>;

/** Sets each variable (undefined: deletes it); the returned function puts them all back as they were. */
export function setEnvironment(values: Variables): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  apply(values);
  return () => apply(saved);
}

function apply(values: Variables): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}
