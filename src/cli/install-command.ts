import type { CliCommand } from './cli-io';

/** Placeholder until the command is written. */
export const installCommand: CliCommand = {
  name: 'install',
  summary: '',
  usage: 'usage: multus install (not implemented yet)',
  run: (_args, io) => {
    io.err('multus install: not implemented yet\n');
    return Promise.resolve(1);
  },
};
