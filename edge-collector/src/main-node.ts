import { startUwsServer } from './adapters/uws.js';
import { runCollector } from './main-common.js';

void runCollector(process.env, 'node', startUwsServer, (s) => import.meta.resolve(s));
