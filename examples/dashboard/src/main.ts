import { App } from './app.js';
import { sessionKeyStore } from './session.js';
import './styles.css';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
new App({ root, keys: sessionKeyStore() }).start();
