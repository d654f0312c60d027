import { defineChaosSuite } from './chaos.js';

defineChaosSuite('node');
