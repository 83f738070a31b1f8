// The one catalog of API errors: every refusal the API gives has a code from here, a status and
// a default message a user can act on. README.md (beside this file) documents the same table.
import type { Problem } from '../problems.js';

export const ERRORS = {
  invalid_request: { status: 400, message: 'The request is invalid: see problems for each place to fix.' },
  unauthorized: { status: 401, message: 'Authentication required: send "Authorization: Bearer <token>".' },
  forbidden: { status: 403, message: "The token's role may not do this." },
  not_found: { status: 404, message: 'Not found.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Send the body as JSON (Content-Type: application/json).' },
  internal: { status: 500, message: 'Internal error; the server log has the details.' },
  unavailable: { status: 503, message: 'Not ready: the database cannot be reached.' },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** Where the problem is, as in every other Portcullis input error: `body.scope.resources[0].criterion`. */
export interface ApiProblem {
  readonly path: string;
  readonly message: string;
}

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly problems?: readonly ApiProblem[] };
}

/** A coded refusal. Thrown anywhere below a route; the error handler answers it. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly problems?: readonly ApiProblem[];

  constructor(code: ErrorCode, message: string = ERRORS[code].message, problems?: readonly ApiProblem[]) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERRORS[code].status;
    if (problems) this.problems = problems;
  }

  /** 400 with every problem, so a client can fix them all in one go. */
  static invalid(problems: readonly ApiProblem[], message?: string): ApiError {
    const summary = message ?? (problems.length === 1 ? `The request is invalid: ${describe(problems[0])}` : `The request has ${problems.length} problems: see problems.`);
    return new ApiError('invalid_request', summary, problems);
  }

  body(): ErrorBody {
    return errorBody(this.code, this.message, this.problems);
  }
}

function describe(problem: ApiProblem | undefined): string {
  if (!problem) return 'see problems';
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

export function errorBody(code: ErrorCode, message: string = ERRORS[code].message, problems?: readonly ApiProblem[]): ErrorBody {
  return { error: problems ? { code, message, problems } : { code, message } };
}

/** Problems of the policy and input layers (file/path/line) in the API's shape. */
export function apiProblems(problems: readonly Problem[]): ApiProblem[] {
  return problems.map((problem) => ({ path: problem.path ?? '', message: problem.message }));
}
