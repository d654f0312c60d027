import { defineHostileSuite } from './hostile.js';

defineHostileSuite('node');
