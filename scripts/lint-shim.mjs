#!/usr/bin/env node
// `npm run lint` for the shim's C: every warning of the build's flags is an error.
import { SHIM_CFLAGS, SHIM_SOURCES, runCc } from './shim-build.mjs';

runCc([...SHIM_CFLAGS, '-Werror', '-fsyntax-only', ...SHIM_SOURCES]);
