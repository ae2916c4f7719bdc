/**
 * A private one-node Slurm cluster for the tests: munged, slurmctld and slurmd (Debian's
 * slurm-wlm 22.05 and munge) started as the user running the tests (root or not: the
 * daemons and the jobs all run as that user) from a temporary folder that holds
 * everything (slurm.conf, a fresh munge key, state, spool, logs, accounting of finished
 * jobs), on ports picked free in a private range, so it cannot meet another Slurm on the
 * machine (nor another copy of this test).
 *
 * Nothing outlives the test: every process of the cluster (the daemons, the step
 * daemons, the jobs) carries `DAAD_SLURM_TEST=<folder>` in its environment; `stop()`
 * cancels the jobs, stops the daemons and kills whatever still carries the mark; and a
 * watchdog shell does the same within a second if the test process dies first.
 *
 * Clients (`sbatch`, `squeue`, the kit's `sweep slurm`) reach this cluster through
 * `cluster.env` (its `SLURM_CONF`).
 * @module
 */
import { findProgram } from "./optional.ts";

/** A finished job as the cluster's job-completion log records it (key=value fields). */
export type JobRecord = Record<string, string>;

/** A running test cluster. */
export interface TestCluster {
  /** The temporary folder holding everything (removed by `stop()`). */
  dir: string;
  /** The node's name (`hostname -s`). */
  node: string;
  /** Environment for clients: `SLURM_CONF` and the cluster's mark. */
  env: Record<string, string>;
  /** Runs a Slurm client (`squeue`, `scancel`...) against this cluster; returns stdout. */
  run(program: string, args: string[]): Promise<string>;
  /** Runs a Slurm client; returns whether it succeeded and its output, without throwing. */
  exec(program: string, args: string[]): Promise<{ ok: boolean; out: string; err: string }>;
  /** Every finished job (array tasks included), from the job-completion log. */
  finishedJobs(): Promise<JobRecord[]>;
  /** Waits until the queue is empty (every job ended); throws after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<void>;
  /** The tails of the daemons' logs, for a failure message. */
  logs(): Promise<string>;
  /** Cancels every job, stops the daemons, kills what is left, removes the folder. */
  stop(): Promise<void>;
}

const MARK = "DAAD_SLURM_TEST";

async function output(program: string, args: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** A port base with `count` free ports above it, in 20000-59999 (the test's own range). */
function freePorts(count: number): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000 / count) * count;
    const held: Deno.Listener[] = [];
    try {
      for (let p = base; p < base + count; p++) held.push(Deno.listen({ port: p }));
      return base;
    } catch {
      // taken: try another base
    } finally {
      for (const l of held) l.close();
    }
  }
  throw new Error("no free port range for the test cluster");
}

/** The user running the tests (the daemons' SlurmUser and SlurmdUser). */
async function userName(): Promise<string> {
  const r = await output("id", ["-un"]);
  if (!r.ok || r.out.trim() === "") throw new Error(`id -un failed: ${r.err.trim()}`);
  return r.out.trim();
}

async function nodeName(): Promise<string> {
  const r = await output("hostname", ["-s"]).catch(() => null);
  const name = r?.ok ? r.out.trim() : "";
  return /^[A-Za-z0-9][A-Za-z0-9-]*$/.test(name) ? name : Deno.hostname().split(".")[0];
}

/** The pids of processes whose environment carries `MARK=<dir>` (this one aside). */
async function markedPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  const needle = new TextEncoder().encode(`${MARK}=${dir}\0`);
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    let env: Uint8Array;
    try {
      env = await Deno.readFile(`/proc/${e.name}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    outer: for (let i = 0; i + needle.length <= env.length; i++) {
      if (i > 0 && env[i - 1] !== 0) continue;
      for (let j = 0; j < needle.length; j++) if (env[i + j] !== needle[j]) continue outer;
      pids.push(Number(e.name));
      break;
    }
  }
  return pids;
}

function killPid(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Waits for a child up to `ms`; SIGKILLs it after that. */
async function endChild(child: Deno.ChildProcess, ms: number): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already ended
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), ms));
  const ended = await Promise.race([child.status, timeout]);
  clearTimeout(timer);
  if (ended === "timeout") {
    try {
      child.kill("SIGKILL");
    } catch {
      // ended meanwhile
    }
    await child.status;
  }
}

/** Starts a one-node cluster; throws (after cleaning up) when it does not come up. */
export async function startTestCluster(): Promise<TestCluster> {
  const dir = await Deno.makeTempDir({ prefix: "daad-slurm-" });
  // munged wants its socket's folders searchable by all and writable only by their owner.
  await Deno.chmod(dir, 0o711);
  for (const sub of ["munge", "state", "spool"]) await Deno.mkdir(`${dir}/${sub}`, { mode: 0o711 });
  const key = crypto.getRandomValues(new Uint8Array(128));
  await Deno.writeFile(`${dir}/munge/munge.key`, key, { mode: 0o400 });
  const node = await nodeName();
  const user = await userName();
  const port = freePorts(12);
  const conf = `${dir}/slurm.conf`;
  await Deno.writeTextFile(
    conf,
    `# One-node test cluster of the daad-kit tests (tests/slurm_cluster.ts).
ClusterName=daadtest
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=${user}
SlurmdUser=${user}
SlurmctldPort=${port}
SlurmdPort=${port + 1}
SrunPortRange=${port + 2}-${port + 11}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/munge.socket
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=${dir}/jobcomp.txt
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=600
MailProg=/bin/true
NodeName=${node} NodeAddr=127.0.0.1 NodeHostname=${node} CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP
`,
  );
  const env = { SLURM_CONF: conf, [MARK]: dir };
  const children: Deno.ChildProcess[] = [];
  const spawn = (program: string, args: string[]) => {
    const child = new Deno.Command(program, {
      args,
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    children.push(child);
    return child;
  };
  // The watchdog: once this process is gone, it kills everything that carries the mark.
  const watchdog = new Deno.Command("bash", {
    args: [
      "-c",
      `while kill -0 ${Deno.pid} 2>/dev/null; do sleep 1; done
for e in /proc/[0-9]*/environ; do
  p=\${e#/proc/}; p=\${p%/environ}
  if tr '\\0' '\\n' < "$e" 2>/dev/null | grep -qxF "${MARK}=${dir}"; then kill -9 "$p" 2>/dev/null; fi
done
rm -rf "${dir}"`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();

  const run = async (program: string, args: string[]) => {
    const r = await output(program, args, env);
    if (!r.ok) throw new Error(`${program} ${args.join(" ")}: ${r.err.trim() || r.out.trim()}`);
    return r.out;
  };
  const tail = async (file: string) =>
    (await Deno.readTextFile(`${dir}/${file}`).catch(() => "")).split("\n").slice(-15).join("\n");
  let stopped = false;
  const cluster: TestCluster = {
    dir,
    node,
    env,
    run,
    exec: (program, args) => output(program, args, env),
    async finishedJobs() {
      const text = await Deno.readTextFile(`${dir}/jobcomp.txt`).catch(() => "");
      return text.split("\n").filter((l) => l.trim() !== "").map((line) =>
        Object.fromEntries(
          line.trim().split(/\s+/).map((kv) => {
            const eq = kv.indexOf("=");
            return [kv.slice(0, eq), kv.slice(eq + 1)];
          }),
        )
      );
    },
    async waitIdle(timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if ((await run("squeue", ["-h", "-o", "%i %T"])).trim() === "") return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(
        `the test cluster still has jobs after ${timeoutMs / 1000} s:\n` +
          (await run("squeue", ["-o", "%i %j %T %r"]).catch((e) => String(e))),
      );
    },
    async logs() {
      return `--- slurmctld.log\n${await tail("slurmctld.log")}\n--- slurmd.log\n${await tail(
        "slurmd.log",
      )}\n--- munged.log\n${await tail("munge/munged.log")}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Jobs first (slurmstepd outlives slurmd by design), then the daemons, then anything
      // that still carries the mark.
      await output("scancel", ["--full", "-u", user], env).catch(() => null);
      const end = Date.now() + 15_000;
      while (Date.now() < end) {
        const q = await output("squeue", ["-h"], env).catch(() => null);
        if (q == null || !q.ok || q.out.trim() === "") break;
        await new Promise((r) => setTimeout(r, 300));
      }
      for (const child of [...children].reverse()) await endChild(child, 10_000);
      for (let round = 0; round < 3; round++) {
        const left = await markedPids(dir);
        if (left.length === 0) break;
        for (const pid of left) killPid(pid, "SIGKILL");
        await new Promise((r) => setTimeout(r, 300));
      }
      await endChild(watchdog, 1000);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  try {
    const socket = `${dir}/munge/munge.socket`;
    spawn(await findProgram("munged") ?? "munged", [
      "--foreground",
      "--force",
      `--key-file=${dir}/munge/munge.key`,
      `--socket=${socket}`,
      `--pid-file=${dir}/munge/munged.pid`,
      `--log-file=${dir}/munge/munged.log`,
      `--seed-file=${dir}/munge/munged.seed`,
    ]);
    await waitFor(
      async () => (await Deno.stat(socket).catch(() => null)) != null,
      10_000,
      "munged",
    );
    spawn(await findProgram("slurmctld") ?? "slurmctld", ["-D", "-f", conf]);
    spawn(await findProgram("slurmd") ?? "slurmd", ["-D", "-f", conf, "-N", node]);
    await waitFor(
      async () => (await output("sinfo", ["-h", "-o", "%T"], env)).out.trim() === "idle",
      30_000,
      "the node to be idle",
    );
  } catch (e) {
    const logs = await cluster.logs();
    await cluster.stop();
    throw new Error(`the test cluster did not start: ${(e as Error).message}\n${logs}`);
  }
  return cluster;
}

/** Polls `check` every 200 ms until true; throws naming `what` after `ms`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}
