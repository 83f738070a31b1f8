// /api/v1/clusters: the clusters Portcullis guards, each with the cloud provider and account it
// runs in, which decides which rules' cloud scopes and which account switches apply to it.
import { z } from 'zod';
import { CLOUD_PROVIDERS } from '../policy/rule.js';
import { ACCESS } from './access.js';
import { ApiError } from './errors.js';
import { defineRoute, type Route } from './route.js';
import { InstantSchema, listOf } from './schemas.js';

const ClusterName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'must be letters, digits, ".", "_" or "-", starting and ending with a letter or digit');

const ClusterSchema = z
  .object({
    name: z.string(),
    provider: z.enum(CLOUD_PROVIDERS).optional(),
    account: z.string().optional(),
    registeredAt: InstantSchema,
    lastSeenAt: InstantSchema.optional(),
  })
  .meta({ id: 'Cluster' });

const ClusterRegistrationSchema = z
  .strictObject({
    name: ClusterName,
    provider: z.enum(CLOUD_PROVIDERS).optional(),
    account: z.string().min(1).max(200).optional().describe('Azure subscription id, AWS account id or GCP project id.'),
  })
  .refine((cluster) => cluster.account === undefined || cluster.provider !== undefined, { path: ['provider'], message: 'is required with an account' })
  .meta({ id: 'ClusterRegistration' });

const NameParams = z.object({ name: z.string().min(1) });

export const clusterRoutes: readonly Route[] = [
  defineRoute({
    operationId: 'listClusters',
    method: 'GET',
    url: '/api/v1/clusters',
    access: ACCESS.read,
    summary: 'List clusters',
    tags: ['clusters'],
    response: listOf('clusters', ClusterSchema),
    handler: async (_input, { store }) => ({ clusters: (await store.clusters.list()) }),
  }),
  defineRoute({
    operationId: 'getCluster',
    method: 'GET',
    url: '/api/v1/clusters/:name',
    access: ACCESS.read,
    summary: 'Get a cluster',
    tags: ['clusters'],
    params: NameParams,
    response: ClusterSchema,
    handler: async ({ params }, { store }) => {
      const cluster = await store.clusters.get(params.name);
      if (!cluster) throw new ApiError('not_found', `No cluster '${params.name}'.`);
      return cluster;
    },
  }),
  defineRoute({
    operationId: 'registerCluster',
    method: 'POST',
    url: '/api/v1/clusters',
    access: ACCESS.admin,
    summary: 'Register or re-register a cluster',
    description: '201 when the cluster is new; 200 when it was registered already (its provider and account are replaced).',
    tags: ['clusters'],
    body: ClusterRegistrationSchema,
    status: 201,
    response: ClusterSchema,
    handler: async ({ body }, { store, now, reply }) => {
      const known = await store.clusters.get(body.name);
      if (known) reply.code(200);
      return store.clusters.upsert(body, now.toISOString());
    },
  }),
  defineRoute({
    operationId: 'deleteCluster',
    method: 'DELETE',
    url: '/api/v1/clusters/:name',
    access: ACCESS.admin,
    summary: 'Delete a cluster',
    description: 'Its admission events stay until retention prunes them.',
    tags: ['clusters'],
    params: NameParams,
    handler: async ({ params }, { store }) => {
      if (!(await store.clusters.delete(params.name))) throw new ApiError('not_found', `No cluster '${params.name}'.`);
    },
  }),
];
