// The web UI as Vite builds it (index.html and content-hashed files under assets/), served beside
// the API: `/` and `/index.html` the page, `/assets/*` its files, nothing else of the directory.
// The page needs no token (the user pastes one into it); every API call it makes is checked.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerError, answerNotFound } from './error-handler.js';
import { ApiError } from './errors.js';

/**
 * Where `npm run build` writes the UI: dist/ui of the package. This module runs as
 * src/api/ui-assets.ts (tsx, tests) or dist/api/ui-assets.js (compiled): two levels below the
 * package root either way.
 */
export const BUILT_UI_DIRECTORY = resolve(import.meta.dirname, '../../dist/ui');

export const UI_NOT_BUILT = 'The web UI is not built: run `npm run build` (it writes dist/ui), then open this page again.';

/**
 * On the page and on every file of the UI, so that a browser runs only the UI's own scripts and
 * styles, lets it talk only to this origin, and never shows it inside another site's frame.
 */
export const UI_SECURITY_HEADERS = Object.freeze({
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // A link out of the UI (a CVE's advisory) does not tell the other site where the control plane is.
  'referrer-policy': 'no-referrer',
});

// index.html names the current build's assets: a browser asks again on every load (and gets a
// 304 while it is unchanged), so a new build is seen at once.
const INDEX_CACHE_CONTROL = 'no-cache';
// Vite names every asset by a hash of its content: a name never comes to mean other bytes, so a
// browser may keep it for a year without asking.
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** The code of @fastify/static's refusal of a path that is not in canonical form. */
const REFUSED_PATH = 'FST_STATIC_FORBIDDEN_PATH';

/**
 * Serves the UI in `directory`. Whether it is built is asked on each request for the page, not
 * once at start: a control plane started before `npm run build` serves the UI once it exists.
 */
export function useUiAssets(app: FastifyInstance, directory: string): void {
  const root = resolve(directory);
  const indexFile = join(root, 'index.html');
  // A context of its own: its hook and error handler are the UI's, never the API's routes'.
  app.register(async function webUi(ui) {
    ui.addHook('onRequest', async (_request, reply) => {
      reply.headers(UI_SECURITY_HEADERS);
    });
    // A path the static plugin refuses to resolve (`..`, `.` or empty segments, however encoded)
    // names no file of the UI: a 404 as for any other path, not the plugin's 403 (which the
    // API's error handler would answer as a 400 "Forbidden").
    ui.setErrorHandler((error: FastifyError, request, reply) => (error.code === REFUSED_PATH ? answerNotFound(request, reply) : answerError(error, request, reply)));
    await ui.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/assets/',
      // A missing build is answered at / (UI_NOT_BUILT), not warned about at start.
      suppressWarning: true,
      // /assets/ names no file: no listing, no index page, no redirect.
      list: false,
      index: false,
      redirect: false,
      // The plugin's default serves dotfiles; Vite writes none, so any there is not the UI's.
      dotfiles: 'ignore',
      // Cache-Control is set by the kind of file (below), not send's `public, max-age=0`.
      cacheControl: false,
      setHeaders: (reply: FastifyReply, file: string) => {
        reply.header('cache-control', file === indexFile ? INDEX_CACHE_CONTROL : ASSET_CACHE_CONTROL);
      },
    });
    const sendIndex = async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      if (!(await isFile(indexFile))) throw new ApiError('not_found', UI_NOT_BUILT);
      return reply.sendFile('index.html', root);
    };
    ui.get('/', sendIndex);
    ui.get('/index.html', sendIndex);
  });
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
