// Parses `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme and
// comma-separated parameters whose values may be quoted and may themselves hold commas
// (`scope="repository:a:pull,push"`).

export interface Challenge {
  /** Lowercase: `bearer`, `basic`. */
  readonly scheme: string;
  /** Parameter names lowercase, values unquoted: `realm`, `service`, `scope`, `error`. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let at = 0;

  const skip = (chars: RegExp): void => {
    while (at < header.length && chars.test(header.charAt(at))) at++;
  };
  const token = (): string => {
    const start = at;
    while (at < header.length && TOKEN_CHAR.test(header.charAt(at))) at++;
    return header.slice(start, at);
  };
  /** An unquoted value; lenient: RFC 7235 wants a token, some servers send a URL. */
  const bare = (): string => {
    const start = at;
    while (at < header.length && !/[\s,]/.test(header.charAt(at))) at++;
    return header.slice(start, at);
  };
  const quoted = (): string => {
    let value = '';
    at++; // opening quote
    while (at < header.length && header.charAt(at) !== '"') {
      if (header.charAt(at) === '\\' && at + 1 < header.length) at++;
      value += header.charAt(at);
      at++;
    }
    at++; // closing quote
    return value;
  };
  /** True when `name =` follows: the next item is a parameter, not the next challenge. */
  const paramAhead = (): boolean => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=/.test(header.slice(at));

  while (at < header.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (scheme === '') {
      at++; // not a token character: skip it rather than loop forever
      continue;
    }
    const params: Record<string, string> = {};
    skip(/[ \t]/);
    while (at < header.length && paramAhead()) {
      const name = token().toLowerCase();
      skip(/[ \t]/);
      at++; // '='
      skip(/[ \t]/);
      params[name] = header.charAt(at) === '"' ? quoted() : bare();
      skip(/[ \t]/);
      if (header.charAt(at) !== ',') break;
      const comma = at;
      at++;
      skip(/[ \t]/);
      if (!paramAhead()) {
        at = comma;
        break;
      }
    }
    challenges.push({ scheme: scheme.toLowerCase(), params });
  }
  return challenges;
}
