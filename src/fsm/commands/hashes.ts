import type { CommandDef } from './context.js';

export const HASH_COMMANDS: readonly CommandDef[] = [];
