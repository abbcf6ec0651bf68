/**
 * A tiny Java entry point that runs DynamoDB Local the way tests need it, compiled once and cached.
 *
 * Why not just `java -jar DynamoDBLocal.jar`:
 * - DynamoDB Local has no bind-address option; its Jetty server listens on every interface. The
 *   launcher sets the connector host to 127.0.0.1 before starting, so the emulator is loopback-only
 *   like the other local services.
 * - When the Node process dies without running its `exit` handlers (SIGKILL, OOM killer, a crashed
 *   jest worker) a plain JVM lives on. The launcher watches its stdin, which is a pipe from Node: the
 *   pipe closes when Node goes away, whatever the cause, and the JVM halts.
 * - When the port is taken, the stock main() prints the BindException and then hangs with live Jetty
 *   threads; the launcher exits instead, so a retry on another port happens in ~1.5 s, not after a timeout.
 * - It says when its own bind succeeded ({@link LISTENING_MARKER}).
 *
 * The Java source is embedded here (not a `.java` file next to this module) because `tsc` only copies
 * `.ts` output into `dist/`, and the CLI must work from there too. Only JDK classes are referenced at
 * compile time (DynamoDB Local is reached by reflection), so `javac` needs no classpath and the class
 * file does not depend on the emulator version.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Name of the launcher class (also the `java` main class argument). */
export const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';

/** Printed on stderr by the launcher when it could not restrict the bind address. */
export const BIND_WARNING_MARKER = 'GENAI_FINOPS_BIND_WARNING';

/**
 * Printed on stdout by the launcher once Jetty has bound the port. Readiness requires it, so that a
 * different server already answering on that port (say a DynamoDB Local in Docker on 8000) is never
 * mistaken for ours.
 */
export const LISTENING_MARKER = 'GENAI_FINOPS_LISTENING';

const LAUNCHER_SOURCE = `import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;

/** Runs DynamoDB Local bound to one address; halts when stdin (a pipe from the parent) closes. */
public final class ${LAUNCHER_CLASS} {
  public static void main(String[] args) {
    String host = System.getProperty("genaiFinops.bindHost", "127.0.0.1");
    Thread watchdog = new Thread(() -> {
      try {
        InputStream in = System.in;
        byte[] buffer = new byte[64];
        while (in.read(buffer) != -1) { }
      } catch (Throwable ignored) { }
      Runtime.getRuntime().halt(0);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      Class<?> runner = Class.forName("com.amazonaws.services.dynamodbv2.local.main.ServerRunner");
      Object proxy = runner.getMethod("createServerFromCommandLineArgs", String[].class).invoke(null, (Object) args);
      if (proxy == null) {
        throw new IllegalArgumentException("DynamoDB Local rejected its command line arguments");
      }
      try {
        Field field = proxy.getClass().getDeclaredField("server");
        field.setAccessible(true);
        Object jetty = field.get(proxy);
        Object[] connectors = (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty);
        for (Object connector : connectors) {
          connector.getClass().getMethod("setHost", String.class).invoke(connector, host);
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        System.err.println("${BIND_WARNING_MARKER} could not restrict DynamoDB Local to " + host + ", it listens on all interfaces: " + e);
      }
      proxy.getClass().getMethod("start").invoke(proxy);
      System.out.println("${LISTENING_MARKER}");
      System.out.flush();
    } catch (Throwable t) {
      Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
      cause.printStackTrace();
      System.exit(2);
    }
  }
}
`;

/** A compiled launcher ready for `java -cp`. */
export interface CompiledLauncher {
  /** Directory holding `LoopbackDynamoDbLocal.class`, to put first on the classpath. */
  readonly classDir: string;
  /** Removes the class directory if it is a throwaway one (no writable cache was found). */
  dispose(): Promise<void>;
}

/** Result of {@link prepareLauncher}: the launcher, or why it is unavailable. */
export type LauncherOutcome =
  | { readonly ok: true; readonly launcher: CompiledLauncher }
  | { readonly ok: false; readonly reason: string };

const sourceHash = createHash('sha256').update(LAUNCHER_SOURCE).digest('hex').slice(0, 16);

/**
 * Compiles the launcher with `javac` unless a cached build exists.
 *
 * The cache lives in `node_modules/.cache/genai-finops-constructs/` (next to the emulator package),
 * the conventional per-project tool cache: not world-writable like the system temp dir, so nobody can
 * plant a class there. If that folder is not writable, the launcher is built in a private temp dir
 * and removed on `dispose()`. Parallel jest workers may compile at the same time: each builds in its
 * own temp dir and renames it into place; the loser of the rename just uses the winner's build.
 *
 * @param nodeModulesDir - the `node_modules` folder that holds the emulator package
 */
export async function prepareLauncher(nodeModulesDir: string | undefined): Promise<LauncherOutcome> {
  if (nodeModulesDir) {
    const cacheRoot = path.join(nodeModulesDir, '.cache', 'genai-finops-constructs');
    const finalDir = path.join(cacheRoot, `dynamodb-local-launcher-${sourceHash}`);
    if (hasLauncherClass(finalDir)) return shared(finalDir);
    let built: CompileResult | undefined;
    try {
      built = await compileInto(cacheRoot);
    } catch {
      built = undefined; // cache folder not writable: build in a private temp dir below
    }
    if (built && !built.ok) return built; // javac missing or failing: a temp dir would not help
    if (built) {
      try {
        await fs.rename(built.dir, finalDir);
      } catch {
        // Another worker renamed its build into place first; theirs is identical (same source hash).
        await fs.rm(built.dir, { recursive: true, force: true });
      }
      if (hasLauncherClass(finalDir)) return shared(finalDir);
    }
  }
  let built: CompileResult;
  try {
    built = await compileInto(os.tmpdir());
  } catch (error) {
    return { ok: false, reason: `could not create a temp dir for the launcher: ${String(error)}` };
  }
  if (!built.ok) return built;
  const dir = built.dir;
  return { ok: true, launcher: { classDir: dir, dispose: () => fs.rm(dir, { recursive: true, force: true }) } };
}

function hasLauncherClass(dir: string): boolean {
  return existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`));
}

function shared(classDir: string): LauncherOutcome {
  // The cached build is shared by every run, so disposing one instance must not delete it.
  return { ok: true, launcher: { classDir, dispose: async () => undefined } };
}

type CompileResult = { readonly ok: true; readonly dir: string } | { readonly ok: false; readonly reason: string };

/** Compiles into a fresh directory under `parent`; rejects only if `parent` is unusable. */
async function compileInto(parent: string): Promise<CompileResult> {
  await fs.mkdir(parent, { recursive: true });
  const dir = await fs.mkdtemp(path.join(parent, '.ddb-launcher-'));
  const source = path.join(dir, `${LAUNCHER_CLASS}.java`);
  await fs.writeFile(source, LAUNCHER_SOURCE);
  // --release 11: the class file then also runs on a Java 11 runtime, not only on the compiling JDK.
  const result = await new Promise<CompileResult>((resolve) => {
    execFile('javac', ['--release', '11', '-d', dir, source], { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (!error) resolve({ ok: true, dir });
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') resolve({ ok: false, reason: 'javac was not found on PATH (a JRE without a JDK?)' });
      else resolve({ ok: false, reason: `javac failed: ${String(stderr).trim() || error.message}` });
    });
  });
  await fs.rm(source, { force: true });
  if (!result.ok) await fs.rm(dir, { recursive: true, force: true });
  return result;
}
