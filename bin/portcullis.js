#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (built by `npm run build`, run on `npm install`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
