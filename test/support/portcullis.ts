// The `portcullis` binary run from the TypeScript sources, for tests that need a real process
// (signals, exit codes, first start) without depending on a fresh `npm run build`.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
