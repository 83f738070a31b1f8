// Input problems: what is wrong, and where (file, path, line), for every kind of user input.

export interface Problem {
  /** The file (or other named source) the problem is in, as the user named it. */
  readonly file?: string;
  /** A JSON-path-like location inside it: `rule[2].scope.resources[0].criterion`. */
  readonly path?: string;
  /** 1-based line number where the location starts, when the source has lines. */
  readonly line?: number;
  readonly message: string;
}

export function formatProblem(problem: Problem): string {
  const where = [problem.file, problem.path].filter((part): part is string => Boolean(part)).join(': ');
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return where ? `${where}: ${problem.message}${line}` : `${problem.message}${line}`;
}

/** Bad user input: carries every problem found, so the user can fix them all in one go. */
export class InputError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = problems;
  }

  static of(problem: Problem): InputError {
    return new InputError([problem]);
  }
}

/** Renders a path of keys and indexes the way problems show them: `rule[2].scope.resources[0]`. */
export function formatPath(root: string, segments: readonly (string | number)[]): string {
  let path = root;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path ? `.${segment}` : segment;
  }
  return path;
}
