// Every route module of the API, in one list: add a module here and it is registered,
// authenticated, validated, in the OpenAPI document and in the role matrix test.
import { accountRoutes } from './accounts.js';
import { clusterRoutes } from './clusters.js';
import { evaluateRoutes } from './evaluate.js';
import { eventRoutes } from './events.js';
import { openApiRoutes } from './openapi.js';
import { operationRoutes } from './operations.js';
import type { Route } from './route.js';
import { ruleExemptionRoutes } from './rule-exemptions.js';
import { ruleRoutes } from './rules.js';
import { scanRoutes } from './scans.js';
import { settingsRoutes } from './settings.js';
import { syncRoutes } from './sync.js';
import { tokenRoutes } from './tokens.js';
import { whoamiRoutes } from './whoami.js';

export const API_ROUTES: readonly Route[] = [
  ...operationRoutes,
  ...openApiRoutes,
  ...tokenRoutes,
  ...whoamiRoutes,
  ...ruleRoutes,
  ...ruleExemptionRoutes,
  ...clusterRoutes,
  ...accountRoutes,
  ...settingsRoutes,
  ...scanRoutes,
  ...eventRoutes,
  ...syncRoutes,
  ...evaluateRoutes,
];
