/** `/ui/workers`: the remote workers seen in the last 10 minutes, the functions they poll for, when each was last seen, and how many leases each holds now. */
import type { Context } from "hono";
import { Page, Time } from "./layout.tsx";
import type { DashboardPorts } from "./ports.ts";

export async function workersPage(c: Context, ports: DashboardPorts): Promise<Response> {
  const workers = await ports.workers();
  return c.html(
    <Page title="Workers" current="workers" version={ports.version}>
      <h1>Workers</h1>
      <p>
        Workers run the tasks marked <code>"remote": true</code>: they poll for attempts of their functions and hold a lease on each one
        they run. {workers.length} seen in the last 10 minutes, holding {workers.reduce((n, w) => n + w.leases, 0)} leases.
      </p>
      {workers.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Functions</th>
                <th scope="col">Last seen</th>
                <th scope="col" class="num">
                  Leases held
                </th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <tr>
                  <td>
                    <code>{w.workerId}</code>
                  </td>
                  <td>
                    {w.functions.map((f, i) => (
                      <>
                        {i > 0 && ", "}
                        <code>{f}</code>
                      </>
                    ))}
                  </td>
                  <td>
                    <Time at={w.lastSeenAt} />
                  </td>
                  <td class="num">{w.leases}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>,
  );
}
