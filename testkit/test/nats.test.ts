import { afterAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startConnectedNats, startNats, startNatsCluster, findNatsServer, spawnNatsServer, tempDir, NatsServerNotFoundError, NatsServerStartError } from '../src/index.js';

describe('startNats', () => {
  it('runs a JetStream server on a free port that keeps data across restart', async () => {
    const nats = await startNats();
    try {
      let nc: NatsConnection = await connect({ servers: nats.url });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'T', subjects: ['t.>'] });
      await nc.jetstream().publish('t.x', new TextEncoder().encode('hello'));
      await nc.close();

      const port = nats.port;
      await nats.restart();
      expect(nats.port).toBe(port);
      nc = await connect({ servers: nats.url });
      const info = await (await nc.jetstreamManager()).streams.info('T');
      expect(info.state.messages).toBe(1);
      await nc.close();
    } finally {
      await nats.cleanup();
    }
    expect(nats.running()).toBe(false);
  });

  it('startConnectedNats hands out a connected client, and cleanup closes it and stops the server', async () => {
    const nats = await startConnectedNats();
    await nats.nc.flush();
    expect(nats.nc.isClosed()).toBe(false);
    await nats.cleanup();
    expect(nats.nc.isClosed()).toBe(true);
    expect(nats.server.running()).toBe(false);
  });

  it('names the install command when the binary is missing', () => {
    expect(() => findNatsServer({ PATH: '/nonexistent' }, [])).toThrow(NatsServerNotFoundError);
    expect(() => findNatsServer({ PATH: '/nonexistent' }, [])).toThrow('apt-get install -y nats-server');
    expect(findNatsServer({ NATS_SERVER_BIN: '/opt/nats' }, [])).toBe('/opt/nats');
  });

  it('names the install command when the given binary cannot be run (NATS_SERVER_BIN=/nope)', async () => {
    const dir = tempDir('pulse-nats-');
    try {
      const err = await spawnNatsServer({ storeDir: join(dir.path, 'store'), bin: join(dir.path, 'nope') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NatsServerStartError);
      expect(String(err)).toContain('apt-get install -y nats-server');
    } finally {
      dir.remove();
    }
  });

  it('runs in its own process group when detached, and reports each spawn', async () => {
    const dir = tempDir('pulse-nats-');
    const spawned: number[] = [];
    const server = await spawnNatsServer({ storeDir: join(dir.path, 'store'), detached: true, onSpawn: (c) => spawned.push(c.pid as number) });
    try {
      expect(spawned).toEqual([server.pid]);
      const pgid = Number(readFileSync(`/proc/${server.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[2]);
      expect(pgid).toBe(server.pid);
      await server.restart();
      expect(spawned).toEqual([spawned[0], server.pid]);
    } finally {
      await server.stop();
      dir.remove();
    }
  });
});

describe('startNatsCluster', () => {
  let cluster: Awaited<ReturnType<typeof startNatsCluster>> | undefined;
  afterAll(async () => cluster?.cleanup());

  it('forms a 3-node JetStream cluster that holds an R3 stream', async () => {
    cluster = await startNatsCluster(3);
    const nc = await connect({ servers: cluster.servers });
    const jsm = await nc.jetstreamManager();
    let created = false;
    for (let i = 0; i < 100 && !created; i++) {
      try {
        await jsm.streams.add({ name: 'R', subjects: ['r.>'], num_replicas: 3 });
        created = true;
      } catch {
        await new Promise((r) => setTimeout(r, 200)); // meta leader election
      }
    }
    expect(created).toBe(true);
    const ack = await nc.jetstream().publish('r.1', new Uint8Array([1]));
    expect(ack.seq).toBe(1);
    const info = await jsm.streams.info('R');
    expect(info.cluster?.replicas?.length).toBe(2);
    await nc.close();
  }, 60_000);
});
