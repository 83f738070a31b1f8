// /api/v1/whoami: the name and role of the token a request carries, so that a client (the web
// UI) can say who is signed in and offer only what that role may do. It decides nothing: every
// other route still checks the token's role itself.
import { z } from 'zod';
import { ROLES } from '../store/roles.js';
import { ACCESS } from './access.js';
import { ApiError } from './errors.js';
import { defineRoute, type Route } from './route.js';

const CallerSchema = z
  .object({
    name: z.string().describe("The token's name, as versions and audit records name its actor."),
    role: z.enum(ROLES),
  })
  .meta({ id: 'Caller', description: 'The token a request carries: never its secret or id.' });

export const whoamiRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'getCaller',
    method: 'GET',
    url: '/api/v1/whoami',
    access: ACCESS.anyRole,
    summary: 'Who the token used is: its name and role',
    tags: ['tokens'],
    response: CallerSchema,
    handler: (_input, { caller }) => {
      // Authentication has set the caller of every route that is not public, or refused the request.
      if (!caller) throw new ApiError('unauthorized');
      return { name: caller.name, role: caller.role };
    },
  }),
];
