// Loads what a page shows from the API, again whenever its key (what it depends on) changes. The
// answer is kept with the key it was for, so a late answer for an earlier view never shows under
// a later one, and a view whose answer has not come is plainly loading.
import { useEffect, useState } from 'react';

export type Loaded<T> = { readonly state: 'loading' } | { readonly state: 'failed'; readonly error: unknown } | { readonly state: 'loaded'; readonly value: T };

const LOADING = { state: 'loading' } as const;

/** `key`: a text that changes when, and only when, what `load` asks for changes. */
export function useLoaded<T>(load: () => Promise<T>, key: string): [Loaded<T>, (value: T) => void] {
  const [answer, setAnswer] = useState<{ readonly key: string; readonly loaded: Loaded<T> } | undefined>();
  useEffect(() => {
    let current = true;
    load().then(
      (value) => current && setAnswer({ key, loaded: { state: 'loaded', value } }),
      (error: unknown) => current && setAnswer({ key, loaded: { state: 'failed', error } }),
    );
    return () => {
      current = false;
    };
    // `key` says what `load` depends on; `load` itself is a new closure at every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const loaded = answer?.key === key ? answer.loaded : LOADING;
  return [loaded, (value: T) => setAnswer({ key, loaded: { state: 'loaded', value } })];
}
