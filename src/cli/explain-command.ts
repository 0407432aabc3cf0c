import type { CliCommand } from './cli-io';

/** Placeholder until the command is written. */
export const explainCommand: CliCommand = {
  name: 'explain',
  summary: '',
  usage: 'usage: multus explain (not implemented yet)',
  run: (_args, io) => {
    io.err('multus explain: not implemented yet\n');
    return Promise.resolve(1);
  },
};
