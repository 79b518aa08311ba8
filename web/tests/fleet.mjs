// A real collector with a small demo fleet for the browser tests: real agents with
// --simulate (the agent's own collection code against simulated routers), one silent
// device, an organization the tokens must not see, and manager + viewer tokens.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = process.env.EDGEMON_BIN_DIR || join(ROOT, 'target/debug');

export async function startFleet({ simulated = 3, interval = 2 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'edgemon-web-'));
  const config = join(dir, 'collector.toml');
  // Short check round so the silent device turns critical within seconds; ping off:
  // simulated routers have no address. data_collected alone decides "critical".
  writeFileSync(config, `data_dir = ${JSON.stringify(join(dir, 'data'))}
[http]
listen = "127.0.0.1:0"
[checks]
interval = "2s"
jitter = "1s"
[checks.ping]
enabled = false
[checks.data_collected]
interval = "1h"
[alerts]
critical_metrics = ["data_collected"]
[web]
tile_url = ""
`);
  const collector = join(BIN, 'edgemon-collector');
  const agentBin = join(BIN, 'edgemon-agent');
  const cli = (...args) => execFileSync(collector, ['-c', config, ...args], { encoding: 'utf8' });
  const field = (out, name) => out.match(new RegExp(`^${name}: (\\S+)`, 'm'))[1];
  cli('org', 'add', 'Demo WISP', '--slug', 'demo', '--shared-secret', 'demo-secret');
  cli('org', 'add', 'Other', '--slug', 'other');
  const devices = [];
  for (let i = 0; i < simulated; i += 1) {
    const out = cli('device', 'add', '--org', 'demo', '--name', `demo-ap-${i}`, '--lat', String(45.07 + (i % 2) * 0.004), '--lng', '7.68', '--address', `Demo street ${i % 2}`);
    devices.push({ id: field(out, 'id'), key: field(out, 'key'), name: `demo-ap-${i}` });
  }
  const silentOut = cli('device', 'add', '--org', 'demo', '--name', 'silent-ap', '--lat', '45.08', '--lng', '7.69', '--address', 'Hill');
  const silent = { id: field(silentOut, 'id'), key: field(silentOut, 'key'), name: 'silent-ap' };
  const foreign = { id: field(cli('device', 'add', '--org', 'other', '--name', 'foreign-ap'), 'id') };
  const manager = field(cli('token', 'add', '--name', 'alice', '--role', 'manager', '--org', 'demo'), 'token');
  const viewer = field(cli('token', 'add', '--name', 'victor', '--role', 'viewer', '--org', 'demo'), 'token');

  const procs = [];
  const server = spawn(collector, ['-c', config, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(server);
  let log = '';
  server.stderr.on('data', (d) => { log = (log + d).slice(-20000); });
  const base = await new Promise((ok, fail) => {
    const rl = createInterface({ input: server.stdout });
    rl.on('line', (l) => { const m = l.match(/listening on (http:\/\/\S+)/); if (m) ok(m[1]); });
    server.on('exit', (c) => fail(new Error(`collector exited ${c}: ${log}`)));
  });
  mkdirSync(join(dir, 'agents'));
  devices.forEach((d, i) => {
    procs.push(spawn(agentBin, ['run', '--url', base, '--uuid', d.id, '--key', d.key, '--mode', 'openwisp',
      '--interval', `${interval}s`, '--boot-delay-max', '0s', '--queue-path', join(dir, 'agents', `${i}.redb`),
      '--status-file', join(dir, 'agents', `${i}.status`), '--simulate', String(i)], { stdio: 'ignore' }));
  });
  const stop = async () => {
    for (const p of procs.slice().reverse()) {
      if (p.exitCode === null) {
        const done = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await done;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, devices, silent, foreign, manager, viewer, stop, log: () => log };
}

export async function get(base, token, path, init = {}) {
  const r = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(init.headers || {}) } });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

// Polls `probe` until it returns a truthy value (bounded: `tries` × `ms`).
export async function until(what, probe, tries = 100, ms = 200) {
  for (let i = 0; i < tries; i += 1) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, ms));
  }
  throw new Error(`timed out waiting for ${what}`);
}
