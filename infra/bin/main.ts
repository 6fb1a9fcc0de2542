import { buildApp } from './app.js';

// Entry point run by `cdk` (through infra/scripts/synth.mjs) and by `npm run synth`.
buildApp().synth();
