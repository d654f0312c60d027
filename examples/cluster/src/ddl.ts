import { migrate, type DdlOptions, type Storage } from '@pulse/aggregator/storage';

/**
 * Every statement `migrate(storage, { cluster, sharded?, database? })` would run against an empty ClickHouse cluster,
 * captured with a storage that records instead of executing: the DDL an operator reviews before
 * the first aggregator applies it. Reads answer "nothing applied yet".
 */
export async function clusterDdl(cluster: string, layout: Omit<DdlOptions, 'cluster'> = {}): Promise<string[]> {
  const statements: string[] = [];
  const recorder: Storage = {
    backend: 'server',
    async query<T>(): Promise<T[]> {
      return [];
    },
    async command(sql) {
      statements.push(sql.trim());
    },
    async insert() {},
    async settle() {
      return { completed: 0, refused: [] };
    },
    exclusive: (fn) => fn(),
    async ping() {
      return true;
    },
    async close() {},
  };
  await migrate(recorder, { ...layout, cluster });
  return statements;
}
