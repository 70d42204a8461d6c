// The gateway's load client (bench/gateway/run.sh; Node's own http, no npm package): CLIENTS
// simulated agents, each with its own session (POST /api/v1/session) and its own keep-alive
// connection, all at once. Phases, each printed as one line
// "NAME requests_per_s p50_us p99_us ok total":
//   static      GET /favicon.svg            the gateway's HTTP ceiling (no service behind it)
//   worklist    GET /api/v1/worklist        each agent's bag (scheduler worklist_get)
//   next        POST /api/v1/tasks/next     the next call (scheduler task_next) ...
//   calls       POST /api/v1/calls          ... and its outcome (calllog call_log), until the bag is empty
//   worklist-c1 GET /api/v1/worklist        one agent alone (the latency without queueing)
// Usage: GW_URL=... AGENTS_FILE=... (LOGIN PASSWORD per line) REQUESTS=10 node load.mjs
import http from 'node:http';
import { readFileSync } from 'node:fs';

const base = new URL(process.env.GW_URL);
const perClient = Number(process.env.REQUESTS || 10);
const people = readFileSync(process.env.AGENTS_FILE, 'utf8').trim().split('\n').map((l) => l.split(' '));

function request(agent, method, path, cookie, csrf, body) {
  return new Promise((resolve) => {
    const headers = { Accept: 'application/json' };
    if (cookie) headers.Cookie = cookie;
    if (csrf) headers['X-CSRF-Token'] = csrf;
    let data;
    if (body !== undefined) {
      data = Buffer.from(JSON.stringify(body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = data.length;
    }
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString(), us: Number(process.hrtime.bigint() - t0) / 1000 }));
    });
    req.on('error', (e) => resolve({ status: 0, text: String(e), us: Number(process.hrtime.bigint() - t0) / 1000 }));
    if (data) req.write(data);
    req.end();
  });
}

const clients = people.map(([login, password]) => ({ login, password, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) }));
// sign in (a few at a time: intake checks each password with Argon2id)
for (let i = 0; i < clients.length; i += 16) {
  await Promise.all(clients.slice(i, i + 16).map(async (c) => {
    const r = await request(c.agent, 'POST', '/api/v1/session', null, null, { login: c.login, password: c.password });
    if (r.status !== 200) throw new Error(`login ${c.login}: ${r.status} ${r.text}`);
    c.cookie = String(r.headers['set-cookie']).split(';')[0];
    c.csrf = JSON.parse(r.text).csrf_token;
  }));
}

const statuses = {}; // phase -> status -> count, of answers that were not 200
function report(name, lat, ok, ms) {
  lat.sort((a, b) => a - b);
  const q = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] || 0);
  console.log(`${name} ${Math.round((lat.length * 1000) / ms)} ${q(0.5)} ${q(0.99)} ${ok} ${lat.length}`);
  console.error(`[load] ${name}: ${lat.length} requests in ${ms} ms; not 200: ${JSON.stringify(statuses[name] || {})}`);
}

async function phase(name, list, loop) {
  const lat = [];
  let ok = 0;
  const t0 = Date.now();
  await Promise.all(list.map((c) => loop(c, (r, good = r.status === 200) => {
    lat.push(r.us);
    ok += good;
    if (!good) (statuses[name] ||= {})[r.status] = ((statuses[name] || {})[r.status] || 0) + 1;
  })));
  report(name, lat, ok, Date.now() - t0);
}

await phase('static', clients, async (c, rec) => { for (let i = 0; i < perClient; i++) rec(await request(c.agent, 'GET', '/favicon.svg')); });
await phase('worklist', clients, async (c, rec) => { for (let i = 0; i < perClient; i++) rec(await request(c.agent, 'GET', '/api/v1/worklist', c.cookie)); });
// the day's work: next call, its outcome, until the bag is empty (timed as two phases at once)
const nextLat = [], callLat = [];
let nextOk = 0, callOk = 0;
const t0 = Date.now();
await Promise.all(clients.map(async (c) => {
  for (;;) {
    const n = await request(c.agent, 'POST', '/api/v1/tasks/next', c.cookie, c.csrf, {});
    if (n.status !== 200) break; // nothing due: the bag is empty
    nextLat.push(n.us);
    nextOk++;
    const task = JSON.parse(n.text).task;
    const r = await request(c.agent, 'POST', '/api/v1/calls', c.cookie, c.csrf, { task_id: task.id, outcome: 'connected', effect: 'good', note: 'bench' });
    callLat.push(r.us);
    // 409: this task's outcome is already logged — task_next answered from the scheduler's
    // copy before the call_logged event reached it; the gateway sends the session's
    // read-your-writes places (Request.after), so none is expected; counted apart if one comes
    callOk += r.status === 200 || r.status === 409;
    if (r.status !== 200) (statuses.calls ||= {})[r.status] = ((statuses.calls || {})[r.status] || 0) + 1;
  }
}));
const ms = Date.now() - t0;
report('next', nextLat, nextOk, ms);
report('calls', callLat, callOk, ms);
await phase('worklist-c1', clients.slice(0, 1), async (c, rec) => { for (let i = 0; i < perClient * 20; i++) rec(await request(c.agent, 'GET', '/api/v1/worklist', c.cookie)); });
for (const c of clients) c.agent.destroy();
