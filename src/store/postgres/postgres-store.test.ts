import pg from 'pg';
import { expect, test } from 'vitest';
import { describePostgres, postgresSchemas } from '../../../test/support/postgres.js';
import { aRule } from '../../policy/testing/builders.js';
import { openStore } from '../open-store.js';
import { describeStoreContract } from '../store.contract.js';
import { at } from '../testing/builders.js';
import { MIGRATIONS } from '../migrations/index.js';

describePostgres('PostgreSQL', (url) => {
  const freshSchema = postgresSchemas(url);

  describeStoreContract('postgres', async () => openStore(await freshSchema()));

  test('replicas migrating one new database at once: one applies the schema, the others find it done', async () => {
    const schemaUrl = await freshSchema();
    const replicas = await Promise.all([1, 2, 3, 4].map(() => openStore(schemaUrl)));
    try {
      await Promise.all(replicas.map((replica) => replica.migrate()));
      const [first, second] = replicas;
      const rule = await first?.rules.create(aRule({ name: 'shared' }), 'alice', at(0));
      expect(await second?.rules.getByName('shared')).toStrictEqual(rule);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
    const client = new pg.Client({ connectionString: schemaUrl });
    await client.connect();
    try {
      expect((await client.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    } finally {
      await client.end();
    }
  });
});
