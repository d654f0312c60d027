export { startNats, startConnectedNats, startNatsCluster, type ConnectedNats, type TestNats, type TestNatsCluster } from './nats.js';
export { spawnNatsServer, DEFAULT_NATS_START_TIMEOUT_MS, type NatsServerHandle, type NatsServerOptions } from './nats-server.js';
export { findNatsServer } from './nats-binary.js';
export { freePort, servicePorts } from './ports.js';
export { tempDir, chdbDir, type TempDir } from './dirs.js';
export { NatsServerNotFoundError, NatsServerStartError, NATS_INSTALL_HINT } from './errors.js';
export { api } from './http.js';
export { alive, killLeftovers, launchDetached, parseJsonLine, recordedPids, type LaunchOptions, type Launched } from './launcher.js';
export { allThreadsStopped, freezeProcess, thawProcess } from './freeze.js';
