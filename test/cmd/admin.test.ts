import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAdminArgs } from '../../cmd/admin.js';
import { ConfigError } from '../../cmd/config.js';

describe('redraft admin arguments', () => {
  it('turns each command into its RAFT command', () => {
    const cases: [string[], string[]][] = [
      [['status'], ['RAFT', 'STATUS']],
      [['members'], ['RAFT', 'MEMBERS']],
      [
        ['add-learner', '4', 'h:7004', 'h:6382', 'h:8083', 'h:9093'],
        ['RAFT', 'ADDLEARNER', '4', 'h:7004', 'h:6382', 'h:8083', 'h:9093'],
      ],
      [
        ['promote', '4'],
        ['RAFT', 'PROMOTE', '4'],
      ],
      [
        ['remove', '2'],
        ['RAFT', 'REMOVE', '2'],
      ],
      [['transfer'], ['RAFT', 'TRANSFER']],
      [
        ['transfer', '3'],
        ['RAFT', 'TRANSFER', '3'],
      ],
      [['snapshot'], ['RAFT', 'SNAPSHOT']],
    ];
    for (const [args, argv] of cases) assert.deepEqual(parseAdminArgs(args, {}).argv, argv);
  });

  it('takes --addr, --password (or REDRAFT_REQUIREPASS) and --json anywhere', () => {
    const a = parseAdminArgs(['members', '--json', '--addr', '10.1.2.3:6380'], {});
    assert.equal(a.addr, '10.1.2.3:6380');
    assert.equal(a.json, true);
    assert.equal(a.password, '');
    const d = parseAdminArgs(['status'], { REDRAFT_REQUIREPASS: 'secret' });
    assert.equal(d.addr, '127.0.0.1:6379');
    assert.equal(d.password, 'secret');
    assert.equal(
      parseAdminArgs(['--password', 'p', 'status'], { REDRAFT_REQUIREPASS: 's' }).password,
      'p',
    );
  });

  it('refuses bad usage with a clear message', () => {
    const refused: [string[], RegExp][] = [
      [[], /a command is required/],
      [['grow'], /unknown admin command "grow"/],
      [['promote'], /wrong number of arguments for "promote"/],
      [['remove', '1', '2'], /wrong number of arguments for "remove"/],
      [['transfer', '1', '2'], /wrong number/],
      [['add-learner', '4', 'h:1', 'h:2', 'h:3'], /wrong number/],
      [['promote', 'four'], /member id must be a whole number, got "four"/],
      [['add-learner', '4', 'h:1', 'h:2', 'nope', 'h:4'], /address must be host:port, got "nope"/],
      [['status', '--addr', 'localhost'], /--addr must be host:port/],
      [['status', '--verbose'], /Unknown option '--verbose'/],
    ];
    for (const [args, text] of refused) {
      assert.throws(
        () => parseAdminArgs(args, {}),
        (err: unknown) => err instanceof ConfigError && text.test(err.message),
        args.join(' '),
      );
    }
  });
});
