// Variables a test sets for the clouds' libraries, which read them from process.env: set for the
// test, then put back as they were (absent ones deleted again).

/** Sets each variable (undefined: deletes it); the returned function puts them all back as they were. */
export function setEnvironment(values: Readonly<Record<string, string | undefined>>): () => void {
  const saved = Object.keys(values).map((name) => [name, process.env[name]] as const);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
