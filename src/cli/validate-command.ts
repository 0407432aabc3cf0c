import type { CliCommand } from './cli-io';

/** Placeholder until the command is written. */
export const validateCommand: CliCommand = {
  name: 'validate',
  summary: '',
  usage: 'usage: multus validate (not implemented yet)',
  run: (_args, io) => {
    io.err('multus validate: not implemented yet\n');
    return Promise.resolve(1);
  },
};
