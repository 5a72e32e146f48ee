#!/usr/bin/env node
/**
 * The `redraft` command: the only composition root (DESIGN.md section 1). It parses the
 * command line, wires the parts together and owns the process: signals and exit codes.
 */
import { fileURLToPath } from 'node:url';
import { ADMIN_USAGE, runAdmin } from './admin.js';
import { runCluster } from './cluster.js';
import { ConfigError, parseServerConfig, serverUsage } from './config.js';
import { runServer } from './server.js';
import { runVerify } from './verify.js';

const USAGE = `usage: redraft <command> [flags]

commands:
  server    run one member (see: redraft server --help)
  cluster   run a local cluster of child processes: redraft cluster --nodes 3 [--data-dir ./data]
  admin     cluster administration: members, add/remove/promote, leadership (see: redraft admin --help)
  verify    check a PROVE reply offline against a trusted root (see: redraft verify --help)
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  switch (command) {
    case 'server': {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(serverUsage());
        return 0;
      }
      const config = parseServerConfig(rest, process.env);
      return runServer(config);
    }
    case 'cluster':
      return runCluster(rest, fileURLToPath(import.meta.url));
    case 'admin': {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(ADMIN_USAGE);
        return 0;
      }
      return runAdmin(
        rest,
        process.env,
        (text) => process.stdout.write(text),
        (text) => process.stderr.write(text),
      );
    }
    case 'verify':
      return runVerify(rest);
    default:
      process.stderr.write(`redraft: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything was closed; but a peer connection to a paused or partitioned member can stay
    // half-closed indefinitely (http2 waits for the peer's FIN). Do not linger on it. The
    // timer is unref'd: a process that drains normally exits at once.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`redraft: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `redraft: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
