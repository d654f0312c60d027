export { createApp, type App, type AppOptions } from './app.js';
