import { defineContractSuite } from './contract.js';

defineContractSuite('bun');
