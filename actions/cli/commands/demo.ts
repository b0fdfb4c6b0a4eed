import { runDemo } from '../../../sim/demo/run-demo.js';
import type { Command } from '../cli.js';

const command: Command = {
  summary:
    'Runs the whole flow (validate, plan, apply, inventory, tags, provision, kubeconfig) against the embedded simulators on loopback.',
  usage: 'pve-gitops demo [--keep] [--time-scale X]',
  options: { keep: { type: 'boolean' }, 'time-scale': { type: 'string' } },
  run(values, _positionals, ctx) {
    const scale =
      typeof values['time-scale'] === 'string' ? Number(values['time-scale']) : undefined;
    return runDemo({ log: ctx.log, keep: values.keep === true, timeScale: scale });
  },
};
export default command;
