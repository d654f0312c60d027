import { defineHostileSuite } from './hostile.js';

defineHostileSuite('bun');
