import { defineContractSuite } from './contract.js';

defineContractSuite('node');
