import { startBunServer } from './adapters/bun.js';
import { runCollector } from './main-common.js';

void runCollector(process.env, 'bun', startBunServer, (s) => import.meta.resolve(s));
