// The report files a command is given: files as named, and for a folder its *.json files in
// name order. A path that cannot be read is kept, for the reader to name what is wrong with it.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function reportFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      return [path];
    }
    if (!isDirectory) return [path];
    return readdirSync(path)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => join(path, name));
  });
}
