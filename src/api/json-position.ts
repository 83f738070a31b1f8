// Where JSON text first breaks the grammar. JSON.parse says where only on some Node versions, and
// quotes the body back when it does not; this scanner runs only after JSON.parse has failed.
// Iterative, so a deeply nested body cannot overflow the stack.

export interface JsonFault {
  /** 0-based offset of the first character that cannot continue the text (length: it ended early). */
  readonly position: number;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

class Stop extends Error {
  constructor(readonly position: number) {
    super('stop');
  }
}

/** The first fault of `text` as JSON, or undefined when it is valid JSON. */
export function findJsonFault(text: string): JsonFault | undefined {
  try {
    scan(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return fault(text, error.position);
  }
}

function fault(text: string, position: number): JsonFault {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  const found = position >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text.charAt(position))}`;
  return { position, line, column, message: `${found} at line ${line}, column ${column} (position ${position})` };
}

function scan(text: string): void {
  let i = 0;
  const open: ('{' | '[')[] = [];
  const stop = (): never => {
    throw new Stop(i);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const expect = (char: string): void => {
    if (text.charAt(i) !== char) stop();
    i++;
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text.charAt(i))) stop();
    while (/[0-9]/.test(text.charAt(i))) i++;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      if (i >= text.length) stop();
      const char = text.charAt(i);
      if (char === '"') break;
      if (char < ' ') stop();
      if (char === '\\') {
        i++;
        const escape = text.charAt(i);
        if (escape === 'u') {
          for (let k = 1; k <= 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text.charAt(i))) stop();
          }
        } else if (!'"\\/bfnrt'.includes(escape) || escape === '') stop();
      }
      i++;
    }
    i++;
  };
  const number = (): void => {
    if (text.charAt(i) === '-') i++;
    if (text.charAt(i) === '0') i++;
    else digits();
    if (text.charAt(i) === '.') {
      i++;
      digits();
    }
    if (text.charAt(i) === 'e' || text.charAt(i) === 'E') {
      i++;
      if (text.charAt(i) === '+' || text.charAt(i) === '-') i++;
      digits();
    }
  };
  const literal = (word: string): void => {
    for (const char of word) expect(char);
  };
  const key = (): void => {
    skipSpace();
    string();
    skipSpace();
    expect(':');
  };

  for (;;) {
    // A value is expected here.
    skipSpace();
    const char = text.charAt(i);
    let scalar = true;
    if (char === '{' || char === '[') {
      i++;
      skipSpace();
      if (text.charAt(i) === (char === '{' ? '}' : ']')) i++;
      else {
        open.push(char);
        if (char === '{') key();
        scalar = false;
      }
    } else if (char === '"') string();
    else if (char === '-' || (char >= '0' && char <= '9' && char !== '')) number();
    else if (char === 't') literal('true');
    else if (char === 'f') literal('false');
    else if (char === 'n') literal('null');
    else stop();
    if (!scalar) continue;

    // After a value: close containers, or a comma for the next value.
    for (;;) {
      skipSpace();
      const container = open[open.length - 1];
      if (container === undefined) {
        if (i < text.length) stop();
        return;
      }
      const next = text.charAt(i);
      if (next === ',') {
        i++;
        if (container === '{') key();
        break;
      }
      if (next === (container === '{' ? '}' : ']')) {
        i++;
        open.pop();
        continue;
      }
      stop();
    }
  }
}
