/**
 * Bodies too large and clients that hang up, against the compiled binary: every body over
 * 1 MiB gets the same 413 problem+json, whatever its size and framing, promptly and without
 * the server holding it in memory; a client that hangs up mid-upload is not a server error.
 * About 45 MiB are sent in all.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { type Baton, startBaton, waitFor } from "./harness.ts";

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

let baton: Baton;
/** The 413 the API gives for a body just over 1 MiB: every other case must match it. */
let reference: unknown;

beforeAll(async () => {
  baton = await startBaton({ args: ["--log-level", "debug"] });
  const res = await baton.request("POST", "/jobs/example-job/execute", " ".repeat(MiB + 1));
  expect(res.status).toBe(413);
  reference = await res.json();
});
afterAll(async () => {
  await baton.stop();
});

/** Peak resident memory of the server so far, in bytes (Linux), or undefined elsewhere. */
function peakRss(): number | undefined {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${baton.proc.pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** From connecting to the whole answer. */
  ms: number;
}

/**
 * One request over a raw socket, for what fetch cannot send: a Content-Length that lies, a
 * chunked body of a chosen size, a hang-up mid-body. Sends `head` then `bytes` body bytes
 * (framed as chunks when `chunked`, then the last chunk unless `finish` is false), whatever
 * the server answers meanwhile.
 */
function rawRequest(head: string, bytes: number, { chunked = false, finish = true } = {}) {
  const started = performance.now();
  const socket = connect({ host: "127.0.0.1", port: baton.port });
  let sent = 0;
  let closed = false;
  const payload = Buffer.alloc(CHUNK, 0x20);
  const pump = () => {
    while (!closed && sent < bytes) {
      const n = Math.min(CHUNK, bytes - sent);
      const data = chunked
        ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), payload.subarray(0, n), Buffer.from("\r\n")])
        : payload.subarray(0, n);
      sent += n;
      if (!socket.write(data)) return void socket.once("drain", pump);
    }
    if (!closed && chunked && finish && sent === bytes) socket.write("0\r\n\r\n");
  };
  socket.on("connect", () => {
    socket.write(`${head.replaceAll("\n", "\r\n")}\r\n`);
    pump();
  });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(
      () => reject(new Error(`no whole answer within 10 s (${received.length} bytes received, ${sent} sent)`)),
      10_000,
    );
    socket.on("data", (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [statusLine, ...lines] = received.subarray(0, end).toString("latin1").split("\r\n");
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      const body = received.subarray(end + 4);
      if (body.length < Number(headers["content-length"] ?? 0)) return;
      clearTimeout(timer);
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, body: body.toString("utf8"), ms: performance.now() - started });
    });
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`the connection closed without a whole answer (${received.length} bytes received, ${sent} sent)`));
    });
  });
  answer.catch(() => {}); // a test that hangs up on purpose never awaits it
  return {
    answer,
    sent: () => sent,
    /** Hangs up at once, mid-body if the body is not all sent. */
    close() {
      closed = true;
      socket.destroy();
    },
  };
}

async function expectSame413(status: number, contentType: string | null | undefined, body: unknown) {
  expect(status).toBe(413);
  expect(contentType).toBe("application/problem+json");
  expect(body).toEqual(reference);
}

async function expectHealthy() {
  expect((await baton.request("GET", "/healthz")).status).toBe(200);
}

const before = { peak: 0 };

test("the reference 413 is the documented problem+json", () => {
  expect(reference).toMatchObject({
    type: "urn:baton:problem:too-large",
    title: "Request body too large",
    status: 413,
    detail: expect.stringContaining("1 MiB"),
  });
  before.peak = peakRss() ?? 0;
});

test("2 MiB with a Content-Length: 413 problem+json", async () => {
  const res = await baton.request("POST", "/jobs/example-job/execute", " ".repeat(2 * MiB));
  await expectSame413(res.status, res.headers.get("content-type"), await res.json());
  await expectHealthy();
});

test("20 MiB with a Content-Length (over Bun's old 16 MiB limit): 413 problem+json", async () => {
  const res = await fetch(`${baton.url}/job-definitions`, { method: "POST", body: new Uint8Array(20 * MiB).fill(0x20) });
  expect(res.headers.get("connection")).not.toBe("close");
  await expectSame413(res.status, res.headers.get("content-type"), await res.json());
  await expectHealthy();
});

test("20 MiB chunked: 413 problem+json, promptly", async () => {
  const req = rawRequest("POST /jobs/example-job/execute HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: chunked\n", 20 * MiB, {
    chunked: true,
  });
  try {
    const answer = await req.answer;
    await expectSame413(answer.status, answer.headers["content-type"], JSON.parse(answer.body));
    expect(answer.ms).toBeLessThan(5_000);
  } finally {
    req.close();
  }
  await expectHealthy();
});

test("a declared Content-Length of 2 GiB with 3 bytes sent: 413 at once, and the server answers others meanwhile", async () => {
  const req = rawRequest(`POST /jobs/example-job/execute HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${2 * 1024 * MiB}\n`, 3);
  try {
    const answer = await req.answer;
    await expectSame413(answer.status, answer.headers["content-type"], JSON.parse(answer.body));
    expect(answer.ms).toBeLessThan(2_000); // it does not wait for the 2 GiB
    expect(req.sent()).toBe(3);
    await expectHealthy(); // on another connection, while this one is still open
  } finally {
    req.close();
  }
});

test("none of these bodies was held in memory: the server's peak resident size grew by less than 16 MiB", () => {
  const peak = peakRss();
  if (peak === undefined || before.peak === 0) return; // no /proc: nothing to measure here
  expect(peak - before.peak).toBeLessThan(16 * MiB);
});

test("a client that hangs up mid-upload leaves no ERROR line, and the server goes on answering", async () => {
  const uploads = [
    rawRequest("POST /jobs/example-job/execute HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 500000\n", 1000),
    rawRequest("POST /job-definitions HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: chunked\n", 1000, { chunked: true, finish: false }),
  ];
  for (const upload of uploads) {
    await waitFor("the 1000 bytes to be sent", async () => upload.sent() === 1000, 5_000);
    // Hang up only once the server has started reading, as a client dying mid-upload does.
    await Bun.sleep(100);
    upload.close();
  }
  // Waits until the server has logged both, whatever the level, so the check cannot pass early.
  const logged = () =>
    baton
      .logs()
      .split("\n")
      .filter((line) => / ERROR /.test(line) || line.includes("request abandoned by the client")).length;
  await waitFor("both hang-ups to be logged", async () => logged() === 2, 5_000);
  expect(baton.logs()).toContain('reason="the client closed the connection before all 500000 bytes of the request body');
  expect(baton.logs()).not.toMatch(/ ERROR /);
  await expectHealthy();
});
