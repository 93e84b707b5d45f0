// A Baton worker in plain JavaScript, using only fetch: runs under Node 20+, Bun and Deno.
//   BATON_URL=http://127.0.0.1:8080 WORKER_ID=w1 node worker.mjs
// It polls for the functions below, heartbeats while one runs, and completes or fails the
// attempt. A 409 means the lease is gone (expired, cancelled): it stops and moves on.
const env = (name, fallback) => globalThis.Deno?.env.get(name) ?? globalThis.process?.env[name] ?? fallback;
const BATON = env("BATON_URL", "http://127.0.0.1:8080");
const WORKER_ID = env("WORKER_ID", `worker-${Math.random().toString(36).slice(2, 8)}`);
const MAX = Number(env("WORKER_MAX", "1"));

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(new Error("stopped"));
    };
    signal?.addEventListener("abort", stop, { once: true });
  });

// Your functions: each gets the task ({input, params, results, attempt, …}) and a signal
// that fires when Baton cancels the execution or the lease is lost. Return JSON, or throw.
const FUNCTIONS = {
  echo: async (task) => ({ params: task.params, input: task.input, attempt: task.attempt }),
  sleep: async (task, signal) => {
    await sleep((task.params.seconds ?? 1) * 1000, signal);
    return { slept: task.params.seconds ?? 1 };
  },
  // Stands in for a chat or mail call: prints the message and says where it went.
  notify: async (task) => {
    console.log(`[${task.params.channel}] ${task.params.text}`);
    return { delivered: true, channel: task.params.channel };
  },
};

/** POSTs JSON; retries while Baton is unreachable or answers 503 (restarting, or the database is busy). */
async function post(path, body = {}) {
  for (;;) {
    const res = await fetch(BATON + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).catch(() => null);
    if (res && res.status !== 503) return { status: res.status, body: await res.json() };
    await sleep(500);
  }
}

async function run(task) {
  const lease = `/workers/leases/${task.leaseId}`;
  const stop = new AbortController();
  const every = Math.max(100, (Date.parse(task.leaseExpiresAt) - Date.now()) / 3);
  const beat = setInterval(async () => {
    const hb = await post(`${lease}/heartbeat`);
    if (hb.status !== 200 || hb.body.cancelRequested) stop.abort();
  }, every);
  console.log(`${WORKER_ID} took ${task.executionId} ${task.taskId} attempt ${task.attempt} lease ${task.leaseId}`);
  try {
    const output = await FUNCTIONS[task.functionName](task, stop.signal);
    if (!stop.signal.aborted) console.log(`${WORKER_ID} complete ${(await post(`${lease}/complete`, { output })).status}`);
  } catch (err) {
    const error = { name: err?.name ?? "Error", message: String(err?.message ?? err) };
    if (!stop.signal.aborted) console.log(`${WORKER_ID} fail ${(await post(`${lease}/fail`, { error })).status}`);
  } finally {
    clearInterval(beat);
  }
}

for (;;) {
  const poll = { workerId: WORKER_ID, functions: Object.keys(FUNCTIONS), max: MAX, waitSeconds: 20 };
  const { status, body } = await post("/workers/poll", poll);
  if (status !== 200) throw new Error(`poll answered ${status}: ${body.detail}`);
  await Promise.all(body.tasks.map(run));
}
