import type { CommandDef } from './context.js';

export const KEY_COMMANDS: readonly CommandDef[] = [];
