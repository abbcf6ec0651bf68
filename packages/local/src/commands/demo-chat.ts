/**
 * `genai-finops demo chat`: the streaming chat page on 127.0.0.1, served until Ctrl-C. Each message runs the
 * library's streaming API function locally (Lambda's response streaming emulated) against the Bedrock simulator and
 * DynamoDB Local.
 */
import { ChatDeployment, DEFAULT_CHAT_IDENTITY, runChat } from '../demo/chat/run-chat';
import { checkHandlerBundles } from '../demo/handler-bundle';
import { startLocalStack } from '../demo/local-stack';
import { redirectStdout, toStderr } from '../demo/stdout-redirect';
import { intOption, parseArgs, UsageError } from '../../../../shared/cli/args';
import type { CommandIo } from './command-io';
import { DEMO_HELP } from './help';

// The pace of the simulated model between text deltas, so that the answer visibly streams on the page.
const DELTA_DELAY_MS = 40;
const TENANT_OR_USER = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Serves the chat until the process is interrupted; resolves to the exit code only on a usage error. */
export async function demoChatCommand(argv: ReadonlyArray<string>, io: CommandIo): Promise<number> {
  const { out, log, onShutdown } = io;
  const cmd = 'demo chat';
  const { options, positionals } = parseArgs(argv, { port: 'string', tenant: 'string', user: 'string' }, cmd);
  if (options.help) {
    await out(DEMO_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, cmd);
  const port = intOption(options.port, 'port', 0, 0, 65_535, cmd);
  const identity = {
    tenantId: identityOption(options.tenant, 'tenant', DEFAULT_CHAT_IDENTITY.tenantId, cmd),
    userId: identityOption(options.user, 'user', DEFAULT_CHAT_IDENTITY.userId, cmd),
  };

  checkHandlerBundles();
  log('synthesizing the chat stack (ApiWorkflow with responseStreaming, a UsageLedger with a tenant quota) ...');
  const deployment = ChatDeployment.synthesize();
  log('starting the Bedrock simulator, DynamoDB Local and the local S3 ...');
  const stack = await startLocalStack({ modelAliases: deployment.modelAliases() });
  onShutdown(() => stack.stop());
  stack.simulator.setStreamDeltaDelay(DELTA_DELAY_MS);
  const chat = await runChat({ stack, deployment, identity, port });
  onShutdown(() => chat.stop());
  await out(`Chat page: ${chat.server.url} (tenant ${identity.tenantId}, user ${identity.userId}); Ctrl-C stops it.\n`);
  // From here the handler's stdout is its logs: EMF records are dropped (the page shows the figures), the rest to stderr.
  onShutdown(redirectStdout(logsToStderr));
  // Served until Ctrl-C: the CLI's signal handler runs the shutdown tasks and exits.
  return new Promise<number>(() => undefined);
}

function identityOption(value: string | boolean | undefined, name: string, fallback: string, cmd: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !TENANT_OR_USER.test(value)) {
    throw new UsageError(`--${name} must be 1 to 128 letters, digits or . _ : @ -, got '${String(value)}'`, cmd);
  }
  return value;
}

function logsToStderr(chunk: string | Uint8Array, encoding: BufferEncoding | undefined, callback: ((error?: Error | null) => void) | undefined): void {
  const text = String(chunk).split('\n').filter((line) => !line.startsWith('{"_aws"')).join('\n');
  if (text.trim() === '') {
    if (callback) process.nextTick(callback);
    return;
  }
  toStderr(text, encoding, callback);
}
