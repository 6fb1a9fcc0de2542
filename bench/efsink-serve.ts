// `efsink serve` from the bench bundle (what bin/efsink runs, without needing `npm run build`):
// node dist/bench-bundle/efsink-serve.js --root DIR --access-key KEY …
import { main } from '../src/cli/main.js';

process.exitCode = await main(['serve', ...process.argv.slice(2)]);
