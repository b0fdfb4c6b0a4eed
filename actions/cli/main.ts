// The pve-gitops command: a thin adapter over actions/lib, like each action.
import { main } from './cli.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
