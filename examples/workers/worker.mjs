// A Baton worker in plain JavaScript, using only fetch: runs under Node 20+, Bun and Deno.
//   BATON_URL=http://127.0.0.1:8080 WORKER_ID=w1 [BATON_TOKEN=a worker token] node worker.mjs
// It polls for the functions below, heartbeats while one runs, and sends what each attempt
// returned or threw with its next poll. A 409 means the lease is gone (expired, cancelled).
// Deno refuses variables its --allow-env does not list: those count as unset.
const env = (name, fallback) => {
  try {
    return globalThis.Deno?.env.get(name) ?? globalThis.process?.env[name] ?? fallback;
  } catch {
    return fallback;
  }
};
const BATON = env("BATON_URL", "http://127.0.0.1:8080");
const WORKER_ID = env("WORKER_ID", `worker-${Math.random().toString(36).slice(2, 8)}`);
const MAX = Number(env("WORKER_MAX", "1"));
const TOKEN = env("BATON_TOKEN", "");
const HEADERS = { "content-type": "application/json", ...(TOKEN ? { authorization: `Bearer ${TOKEN}` } : {}) };

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
    const init = { method: "POST", headers: HEADERS, body: JSON.stringify(body) };
    const res = await fetch(BATON + path, init).catch(() => null);
    if (res && res.status !== 503) return { status: res.status, body: await res.json() };
    await sleep(500);
  }
}

// Runs one attempt; its lease is heartbeated until Baton has recorded the outcome.
async function run(task) {
  const stop = new AbortController();
  const every = Math.max(100, (Date.parse(task.leaseExpiresAt) - Date.now()) / 3);
  const beat = setInterval(async () => {
    const hb = await post(`/workers/leases/${task.leaseId}/heartbeat`);
    if (hb.status !== 200 || hb.body.cancelRequested) stop.abort();
  }, every);
  console.log(`${WORKER_ID} took ${task.executionId} ${task.taskId} attempt ${task.attempt} lease ${task.leaseId}`);
  const result = await FUNCTIONS[task.functionName](task, stop.signal).then(
    (output) => ({ leaseId: task.leaseId, output }),
    (err) => ({ leaseId: task.leaseId, error: { name: err?.name ?? "Error", message: String(err?.message ?? err) } }),
  );
  if (!stop.signal.aborted) return { result, beat };
  clearInterval(beat); // cancelled or lost: nothing to report
}

// Each poll carries the outcomes of the attempts run since the last one (and waits at most 1 s
// then); its answer says for each what a complete or fail would. A 503 one goes again.
let done = [];
for (;;) {
  const results = done.map((d) => d.result);
  const poll = { workerId: WORKER_ID, functions: Object.keys(FUNCTIONS), max: MAX, waitSeconds: done.length ? 1 : 20, results };
  const { status, body } = await post("/workers/poll", poll);
  if (status !== 200) throw new Error(`poll answered ${status}: ${body.detail}`);
  const again = done.filter((d, i) => {
    const { status, problem } = body.results[i];
    if (problem?.status === 503) return true;
    clearInterval(d.beat);
    console.log(`${WORKER_ID} ${d.result.error ? "fail" : "complete"} lease ${d.result.leaseId}: ${status ?? problem.detail}`);
    return false;
  });
  done = [...again, ...(await Promise.all(body.tasks.map(run))).filter(Boolean)];
}
