import { defineChaosSuite } from './chaos.js';

defineChaosSuite('bun');
