import { runDemo } from '../../../sim/demo/run-demo.js';
import type { Command } from '../cli.js';

const command: Command = {
  summary:
    'Runs the whole flow (validate, plan, apply, inventory, tags, provision, kubeconfig) against the embedded simulators on loopback.',
  usage: 'pve-gitops demo [--keep] [--time-scale X]',
  options: {
    keep: {
      type: 'boolean',
      description: 'Leave the demo repository and the simulator state behind to look at.',
    },
    'time-scale': {
      type: 'string',
      value: 'X',
      description: 'Multiply every simulated duration (clone, boot, k3s start) by X.',
      default: 'the demo speed',
    },
  },
  examples: [
    ['pve-gitops demo', 'Run the whole flow on the simulators (about 20 seconds).'],
    [
      'pve-gitops demo --keep --time-scale 1',
      'Real-time durations, and keep everything afterwards.',
    ],
  ],
  run(values, _positionals, ctx) {
    const scale =
      typeof values['time-scale'] === 'string' ? Number(values['time-scale']) : undefined;
    return runDemo({ log: ctx.log, keep: values.keep === true, timeScale: scale });
  },
};
export default command;
