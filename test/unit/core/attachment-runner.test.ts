import { AttachmentFailed, hostObjects, runAttachments } from '../../../src/core/attachment-runner';
import type { PreparedAttachment } from '../../../src/core/planner';

function att(index: number, conf: Record<string, unknown>): PreparedAttachment {
  return { index, origin: `a${index}`, plugins: [{ conf }] } as unknown as PreparedAttachment;
}

describe('hostObjects', () => {
  test.each([
    [{ type: 'bridge', bridge: 'br1' }, ['link=br1']],
    [{ type: 'bridge' }, ['link=cni0']],
    [{ type: 'macvlan', master: 'eth1' }, ['link=eth1']],
    [{ type: 'macvlan', master: 'br1' }, ['link=br1']],
    [{ type: 'host-device', device: 'veth9' }, ['link=veth9']],
    [{ type: 'sriov', deviceID: '0000:03:02.3' }, ['pci=0000:03:02.3']],
    [{ type: 'ptp' }, []],
    [{ type: 'vendor-x', bridge: 'br1' }, ['*']],
  ])('%j → %j', (conf, objects) => {
    expect(hostObjects(conf)).toEqual(objects);
  });
});

/** Runs with a gate per attachment, recording starts and ends, so overlaps can be asserted. */
async function trace(
  attachments: PreparedAttachment[],
  parallel: boolean,
  fail?: number,
): Promise<{ events: string[]; error: unknown }> {
  const events: string[] = [];
  let error: unknown;
  await runAttachments(attachments, parallel, async (a, signal) => {
    events.push(`start ${a.index}`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 20 + (attachments.length - a.index) * 5);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
    if (a.index === fail) throw new Error(`boom ${a.index}`);
    events.push(`end ${a.index}`);
  }).catch((err: unknown) => {
    error = err;
  });
  return { events, error };
}

test('sequential: one after the other', async () => {
  const { events } = await trace([att(0, { type: 'ptp' }), att(1, { type: 'ptp' })], false);
  expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
});

test('parallel: independent attachments start together; one sharing a bridge waits for the earlier', async () => {
  const list = [
    att(0, { type: 'bridge', bridge: 'b' }),
    att(1, { type: 'ptp' }),
    att(2, { type: 'bridge', bridge: 'b' }),
  ];
  const { events } = await trace(list, true);
  expect(events.slice(0, 2)).toEqual(['start 0', 'start 1']);
  expect(events.indexOf('start 2')).toBeGreaterThan(events.indexOf('end 0'));
});

test('parallel: an unknown plugin type waits for everything before it, and everything after waits for it', async () => {
  const list = [att(0, { type: 'ptp' }), att(1, { type: 'vendor' }), att(2, { type: 'ptp' })];
  const { events } = await trace(list, true);
  expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
});

test('parallel: the first failure aborts the others and is thrown with its attachment', async () => {
  const list = [att(0, { type: 'ptp' }), att(1, { type: 'ptp' }), att(2, { type: 'ptp' })];
  const { error } = await trace(list, true, 2);
  expect(error).toBeInstanceOf(AttachmentFailed);
  expect((error as AttachmentFailed).attachment.index).toBe(2);
});
