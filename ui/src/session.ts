// The signed-in token lives in this tab's sessionStorage: gone when the tab closes, never in a
// cookie (so no request is authorized by the browser on its own: no CSRF), never in the URL.
const KEY = 'portcullis.token';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
