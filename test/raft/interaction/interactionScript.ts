// Runs scripted interaction cases: a text file of commands, each followed by `----` and the
// output it must produce (messages exchanged, node states, logs). RAFT_UPDATE=1 rewrites the
// expected output so a behaviour change shows up as a reviewed diff of the checked-in file.

import { RaftError, nodeId } from '../../../core/raft/index.js';
import type { ConfChangeType, Message } from '../../../core/raft/index.js';
import { decodeRound } from '../../../core/raft/readIndexQueue.js';
import { TestCluster, bytes, text } from '../support/testCluster.js';

export interface ScriptCase {
  /** Comment lines (starting with `#`) written above the command. */
  readonly comments: readonly string[];
  readonly command: string;
  readonly expected: string;
}

/** Parses `command\n----\noutput\n\n` blocks; lines starting with `#` are comments. */
export function parseScript(source: string): ScriptCase[] {
  const cases: ScriptCase[] = [];
  const blocks = source.split(/\n{2,}/);
  for (const block of blocks) {
    const all = block.split('\n');
    const comments = all.filter((line) => line.startsWith('#'));
    const lines = all.filter((line) => !line.startsWith('#'));
    if (lines.every((line) => line.trim() === '')) continue;
    const separator = lines.indexOf('----');
    if (separator < 0) throw new Error(`missing ---- after: ${lines.join(' ')}`);
    cases.push({
      comments,
      command: lines.slice(0, separator).join(' ').trim(),
      expected: lines.slice(separator + 1).join('\n').replace(/\n+$/, ''),
    });
  }
  return cases;
}

export function formatScript(
  cases: readonly { comments: readonly string[]; command: string; output: string }[],
): string {
  return cases.map((c) => [...c.comments, c.command, '----', c.output].join('\n')).join('\n\n') + '\n';
}

function describeMessage(m: Message, dropped: boolean): string {
  const parts = [`${m.from}->${m.to} ${m.type} term=${m.term}`];
  if (m.type === 'app' || m.type === 'vote' || m.type === 'preVote') parts.push(`logTerm=${m.logTerm} index=${m.index}`);
  if (m.type === 'appResp' || m.type === 'readIndexResp') parts.push(`index=${m.index}`);
  if (m.entries.length > 0) parts.push(`entries=[${m.entries.map((e) => `${e.index}@${e.term}`).join(' ')}]`);
  if (m.type === 'app' || m.type === 'heartbeat') parts.push(`commit=${m.commit}`);
  if (m.reject) parts.push(`reject hint=${m.rejectHint}/${m.logTerm}`);
  if (m.snapshot !== undefined) parts.push(`snapshot=${m.snapshot.meta.index}@${m.snapshot.meta.term}`);
  if (m.type === 'heartbeat' || m.type === 'heartbeatResp') {
    const round = decodeRound(m.context);
    if (round > 0) parts.push(`readRound=${round}`);
  }
  if (dropped) parts.push('(dropped)');
  return parts.join(' ');
}

/** Executes commands against one TestCluster, returning each command's output. */
export class InteractionRunner {
  private cluster: TestCluster | null = null;
  private trafficSeen = 0;

  run(command: string): string {
    try {
      return this.execute(command.split(/\s+/));
    } catch (error) {
      if (error instanceof RaftError) return `error: ${error.message}`;
      throw error;
    }
  }

  private get c(): TestCluster {
    if (this.cluster === null) throw new Error('no cluster: start with `cluster <ids>`');
    return this.cluster;
  }

  private execute([verb, ...args]: string[]): string {
    switch (verb) {
      case 'cluster': {
        const flags = new Set(args.filter((a) => a.startsWith('--')));
        const ids = args.filter((a) => !a.startsWith('--'));
        this.cluster = new TestCluster(ids, { preVote: flags.has('--pre-vote'), checkQuorum: flags.has('--check-quorum') });
        this.trafficSeen = 0;
        return 'ok';
      }
      case 'campaign':
        this.c.campaign(args[0]!);
        return this.traffic();
      case 'propose':
        this.c.propose(args[0]!, args[1]!);
        return this.traffic();
      case 'read':
        this.c.node(args[0]!).readIndex(bytes(args[1]!));
        this.c.stabilize();
        return this.traffic();
      case 'transfer':
        this.c.node(args[0]!).transferLeader(nodeId(args[1]!));
        this.c.stabilize();
        return this.traffic();
      case 'conf':
        this.c.changeConf(args[0]!, { type: args[1] as ConfChangeType, nodeId: nodeId(args[2]!), context: new Uint8Array(0) });
        return this.traffic();
      case 'tick':
        this.c.tick(Number(args[0]), ...args.slice(1));
        return this.traffic();
      case 'isolate':
        this.c.isolate(args[0]!);
        return 'ok';
      case 'partition':
        this.c.partition(...args.map((group) => group.split(',')));
        return 'ok';
      case 'heal':
        this.c.heal();
        return 'ok';
      case 'restart':
        this.c.restart(args[0]!);
        return 'ok';
      case 'status':
        return [...this.c.members.values()]
          .map((m) => {
            const s = m.node.status();
            return `${m.id}: ${s.role} term=${s.term} leader=${s.leader ?? '-'} commit=${s.commit} applied=${s.applied} last=${s.lastIndex}`;
          })
          .join('\n');
      case 'log':
        return (args.length > 0 ? args : [...this.c.members.keys()])
          .map((id) => `${id}: ${this.c.logTerms(id).join(' ')} | applied ${this.c.appliedText(id).join(' ') || '-'}`)
          .join('\n');
      case 'reads':
        return this.c.get(args[0]!).readStates.map((r) => `${text(r.context)}@${r.index}`).join(' ') || '-';
      default:
        throw new Error(`unknown command ${verb}`);
    }
  }

  private traffic(): string {
    const messages = this.c.traffic.slice(this.trafficSeen);
    this.trafficSeen = this.c.traffic.length;
    return messages.length === 0 ? '(no messages)' : messages.map((m) => describeMessage(m, this.c.dropped.has(m))).join('\n');
  }
}
